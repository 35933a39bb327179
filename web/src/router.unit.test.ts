import { href, parseRoute, safeNext } from './router';

describe('hash routes', () => {
  it('parses every page and round-trips the links', () => {
    expect(parseRoute('')).toEqual({ page: 'search', q: '', cuisine: '' });
    expect(parseRoute('#/')).toEqual({ page: 'search', q: '', cuisine: '' });
    expect(parseRoute('#/?q=pizza&cuisine=italian')).toEqual({ page: 'search', q: 'pizza', cuisine: 'italian' });
    expect(parseRoute(href.search())).toEqual({ page: 'search', q: '', cuisine: '' });
    expect(parseRoute(href.restaurant('r 1/x'))).toEqual({ page: 'restaurant', id: 'r 1/x' });
    expect(parseRoute(href.reservations())).toEqual({ page: 'reservations' });
    expect(parseRoute(href.owner())).toEqual({ page: 'owner' });
    expect(parseRoute(href.dashboard('abc'))).toEqual({ page: 'dashboard', id: 'abc' });
    for (const what of ['hours', 'tables', 'policy'] as const) expect(parseRoute(href.edit('abc', what))).toEqual({ page: 'edit', id: 'abc', what });
    expect(parseRoute(href.signin())).toEqual({ page: 'signin', next: '#/' });
    expect(parseRoute(href.signup('#/restaurants/r1'))).toEqual({ page: 'signup', next: '#/restaurants/r1' });
    expect(parseRoute(href.signout())).toEqual({ page: 'signout' });
  });

  it('answers notfound for unknown or malformed paths', () => {
    expect(parseRoute('#/nope')).toEqual({ page: 'notfound', path: '/nope' });
    expect(parseRoute('#/owner/abc/menu')).toEqual({ page: 'notfound', path: '/owner/abc/menu' });
    expect(parseRoute('#/restaurants/%E0%A4%A')).toEqual({ page: 'notfound', path: '/restaurants/%E0%A4%A' });
  });

  it('only ever returns to a hash route of this app after signing in', () => {
    expect(safeNext('#/restaurants/r1')).toBe('#/restaurants/r1');
    expect(safeNext('https://evil.example/')).toBe('#/');
    expect(safeNext('//evil.example')).toBe('#/');
    expect(safeNext('#//evil.example')).toBe('#/');
    expect(safeNext(null)).toBe('#/');
  });
});
