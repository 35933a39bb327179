import { ApiError, networkProblem, problemLines, problemOf, toProblem } from './problem';

describe('API errors as the app shows them', () => {
  it('keeps the problem details as the API wrote them, with its extensions', () => {
    const p = toProblem(409, {
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: 'No table for 2 at 19:00.',
      code: 'NO_TABLE',
      alternatives: ['2026-12-03T19:15:00+01:00', { start: '2026-12-03T18:45:00+01:00' }],
    });
    expect(p).toMatchObject({ status: 409, title: 'Conflict', detail: 'No table for 2 at 19:00.', code: 'NO_TABLE' });
    expect(p.alternatives).toEqual(['2026-12-03T19:15:00+01:00', '2026-12-03T18:45:00+01:00']);
    expect(problemLines(p)).toEqual(['Conflict', 'No table for 2 at 19:00.']);
  });

  it('lists field errors the detail does not already say', () => {
    const p = toProblem(400, {
      title: 'Bad Request',
      status: 400,
      detail: 'body must have required property email',
      errors: [{ field: 'email', message: 'body must have required property email' }, { field: 'name', message: 'name is too long' }, 'junk'],
    });
    expect(problemLines(p)).toEqual(['Bad Request', 'body must have required property email', 'name is too long']);
  });

  it('makes a problem from the status when the body is not one (a proxy page, no body)', () => {
    expect(toProblem(502, '<html>')).toEqual({ status: 502, title: 'Bad Gateway', detail: 'The server answered 502 without details.' });
    expect(toProblem(418, undefined, "I'm a teapot").title).toBe("I'm a teapot");
  });

  it('tells a deadline from a dropped network', () => {
    expect(networkProblem(Object.assign(new Error('x'), { name: 'TimeoutError' })).title).toBe('No answer');
    expect(networkProblem(new TypeError('Failed to fetch')).title).toBe('Network error');
    expect(problemOf(new ApiError({ status: 404, title: 'Not Found', detail: 'No restaurant r1.' })).detail).toBe('No restaurant r1.');
  });
});
