import { availableCapacity, isValidCombination, largestSeating, mutuallyCombinable, smallestCombination, type CombinableTable } from './combinations';

// A floor: three 4-tops along a wall that push together (a, b, c), a 2-top that joins the first two (d),
// a lone 6-top (e) and a lone 8-top (f).
const a: CombinableTable = { id: 'a', seats: 4, combinableWith: ['b', 'c', 'd'] };
const b: CombinableTable = { id: 'b', seats: 4, combinableWith: ['a', 'c', 'd'] };
const c: CombinableTable = { id: 'c', seats: 4, combinableWith: ['a', 'b'] };
const d: CombinableTable = { id: 'd', seats: 2, combinableWith: ['a', 'b'] };
const e: CombinableTable = { id: 'e', seats: 6 };
const f: CombinableTable = { id: 'f', seats: 8 };
const floor = [f, e, d, c, b, a]; // deliberately out of order: the answer must not depend on it
const all = new Set(floor.map((t) => t.id));
const freeOf = (...ids: string[]) => new Set(ids);

describe('combinable tables (mutual listing)', () => {
  test('two tables combine only when each names the other', () => {
    expect(mutuallyCombinable(a, b)).toBe(true);
    expect(mutuallyCombinable(c, d)).toBe(false);
    expect(mutuallyCombinable({ id: 'x', seats: 2, combinableWith: ['y'] }, { id: 'y', seats: 2 })).toBe(false);
  });
  test('a combination is valid only when every pair is mutually listed', () => {
    expect(isValidCombination([a, b, c])).toBe(true);
    expect(isValidCombination([a, b, d])).toBe(true);
    expect(isValidCombination([a, c, d])).toBe(false); // c and d do not name each other
    expect(isValidCombination([e])).toBe(true);
  });
  test('a table naming itself does not combine with itself', () => {
    const self = { id: 's', seats: 2, combinableWith: ['s'] };
    expect(mutuallyCombinable(self, self)).toBe(false);
  });
});

describe('smallestCombination (given the free tables, when a party asks)', () => {
  test('a single table that fits is the smallest such table', () => {
    expect(smallestCombination(floor, all, 5)).toEqual({ tableIds: ['e'], seats: 6 });
    expect(smallestCombination(floor, all, 2)).toEqual({ tableIds: ['d'], seats: 2 });
  });

  test('a single table is preferred when it fits with fewer seats than any combination', () => {
    // 6 at e (6 seats) rather than a+d (6 seats, two tables) or a+b (8)
    expect(smallestCombination(floor, freeOf('a', 'b', 'd', 'e'), 6)).toEqual({ tableIds: ['e'], seats: 6 });
  });

  test('a single table is preferred even when a combination would waste fewer seats', () => {
    // party of 6: f (8 seats) alone rather than a+d (6 seats over two tables)
    expect(smallestCombination(floor, freeOf('a', 'd', 'f'), 6)).toEqual({ tableIds: ['f'], seats: 8 });
  });

  test('too large for any single free table → the combination with the fewest seats', () => {
    // 10: a+b+d (10) beats a+b+c (12); e and f never combine
    expect(smallestCombination(floor, all, 10)).toEqual({ tableIds: ['a', 'b', 'd'], seats: 10 });
    // 9: a+b+d (10) again, over a+b+c (12)
    expect(smallestCombination(floor, all, 9)).toEqual({ tableIds: ['a', 'b', 'd'], seats: 10 });
  });

  test('equal seats → the fewest tables', () => {
    const tables: CombinableTable[] = [
      { id: 'p', seats: 6, combinableWith: ['q', 'r', 's'] },
      { id: 'q', seats: 4, combinableWith: ['p', 'r', 's'] },
      { id: 'r', seats: 2, combinableWith: ['p', 'q', 's'] },
      { id: 's', seats: 2, combinableWith: ['p', 'q', 'r'] },
    ];
    // 10 seats either as p+q or as p+r+s: two tables win
    expect(smallestCombination(tables, freeOf('p', 'q', 'r', 's'), 10)).toEqual({ tableIds: ['p', 'q'], seats: 10 });
  });

  test('equal seats and tables → the lexicographically first ids, whatever the input order', () => {
    // 7 with f taken: a+b, a+c and b+c all seat 8 on two tables
    const noF = freeOf('a', 'b', 'c', 'd', 'e');
    expect(smallestCombination(floor, noF, 7)).toEqual({ tableIds: ['a', 'b'], seats: 8 });
    expect(smallestCombination([...floor].reverse(), noF, 7)).toEqual({ tableIds: ['a', 'b'], seats: 8 });
    expect(smallestCombination(floor, freeOf('b', 'c', 'e'), 7)).toEqual({ tableIds: ['b', 'c'], seats: 8 });
    // single tables tie the same way
    const twins = [
      { id: 't2', seats: 4 },
      { id: 't1', seats: 4 },
    ];
    expect(smallestCombination(twins, freeOf('t1', 't2'), 3)).toEqual({ tableIds: ['t1'], seats: 4 });
  });

  test('tables that are not mutually combinable are never combined', () => {
    // e (6) and f (8) would seat 14, but neither names the other
    expect(smallestCombination(floor, freeOf('e', 'f'), 14)).toBeNull();
    // one-sided listing is not enough
    const oneSided: CombinableTable[] = [
      { id: 'x', seats: 4, combinableWith: ['y'] },
      { id: 'y', seats: 4 },
    ];
    expect(smallestCombination(oneSided, freeOf('x', 'y'), 8)).toBeNull();
    // c and d do not name each other: a party of 6 with only c and d free has no table
    expect(smallestCombination(floor, freeOf('c', 'd'), 6)).toBeNull();
  });

  test('only free tables are used', () => {
    expect(smallestCombination(floor, freeOf('a', 'c'), 7)).toEqual({ tableIds: ['a', 'c'], seats: 8 });
    expect(smallestCombination(floor, freeOf(), 2)).toBeNull();
    expect(smallestCombination(floor, freeOf('unknown'), 2)).toBeNull();
  });

  test('at most maxTables tables', () => {
    expect(smallestCombination(floor, all, 12)).toEqual({ tableIds: ['a', 'b', 'c'], seats: 12 });
    expect(smallestCombination(floor, all, 12, 2)).toBeNull();
    expect(smallestCombination(floor, all, 7, 1)).toEqual({ tableIds: ['f'], seats: 8 });
    expect(smallestCombination(floor, freeOf('a', 'b'), 7, 1)).toBeNull();
    // four 4-tops all combinable: 14 needs four tables
    const four = ['w', 'x', 'y', 'z'].map((id, _i, ids) => ({ id, seats: 4, combinableWith: ids.filter((o) => o !== id) }));
    expect(smallestCombination(four, freeOf('w', 'x', 'y', 'z'), 14)).toBeNull();
    expect(smallestCombination(four, freeOf('w', 'x', 'y', 'z'), 14, 4)).toEqual({ tableIds: ['w', 'x', 'y', 'z'], seats: 16 });
  });

  test('none when nothing fits; none for a party size that is not a positive whole number', () => {
    expect(smallestCombination(floor, all, 13)).toBeNull();
    expect(smallestCombination(floor, all, 0)).toBeNull();
    expect(smallestCombination(floor, all, 2.5)).toBeNull();
    expect(smallestCombination([], all, 2)).toBeNull();
  });

  test('a duplicated table id counts once', () => {
    const dup: CombinableTable[] = [
      { id: 'a', seats: 4, combinableWith: ['a'] },
      { id: 'a', seats: 4, combinableWith: ['a'] },
    ];
    expect(smallestCombination(dup, freeOf('a'), 8)).toBeNull();
  });
});

describe('availableCapacity (availability counts combinations)', () => {
  test('true when a single table or a combination seats the party', () => {
    expect(availableCapacity(floor, all, 8)).toBe(true);
    expect(availableCapacity(floor, freeOf('a', 'b', 'c'), 12)).toBe(true);
  });
  test('false when nothing free fits', () => {
    expect(availableCapacity(floor, freeOf('e', 'f'), 9)).toBe(false);
    expect(availableCapacity(floor, all, 13)).toBe(false);
    expect(availableCapacity(floor, all, 12, 2)).toBe(false);
  });
});

describe('largestSeating (the party-size limit counts combinations)', () => {
  test('the most seats of any single table or valid combination of up to maxTables tables', () => {
    expect(largestSeating(floor)).toBe(12); // a + b + c
    expect(largestSeating(floor, 2)).toBe(8); // f alone, or a + b
    expect(largestSeating(floor, 1)).toBe(8); // f
    expect(largestSeating([e, f])).toBe(8); // not combinable
  });
  test('one-sided listings do not count; no tables seat nobody', () => {
    expect(largestSeating([{ id: 'x', seats: 4, combinableWith: ['y'] }, { id: 'y', seats: 4 }])).toBe(4);
    expect(largestSeating([])).toBe(0);
  });
  test('a duplicated id counts once', () => {
    expect(largestSeating([{ id: 'a', seats: 4, combinableWith: ['a'] }, { id: 'a', seats: 4, combinableWith: ['a'] }])).toBe(4);
  });
});
