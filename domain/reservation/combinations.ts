/**
 * Combined tables (issue 14): a party too large for any single free table sits at tables pushed together.
 * Pure and deterministic; the search is bounded by `maxTables`. The ledger (./ledger.ts) holds what
 * `smallestCombination` picks, and the party-size limit (`largestSeating`) counts combinations.
 *
 * Rules chosen:
 * - A combination is valid only when every pair of its tables names each other in `combinableWith`
 *   (mutual listing): one side's word is not enough, since pushing two tables together needs both free
 *   and the owner may have listed only one direction by mistake. A table naming itself is ignored.
 * - A single free table that seats the party always wins over a combination, even one with fewer seats:
 *   one table is one hold and leaves the others bookable. Among single tables, the fewest seats, then id.
 * - Otherwise, of the free valid combinations of 2..maxTables tables seating the party: the fewest total
 *   seats, then the fewest tables, then the sorted ids compared element by element (code-unit order).
 */

export interface CombinableTable {
  id: string;
  seats: number;
  /** Ids of the tables this one may be pushed together with. */
  combinableWith?: readonly string[];
}

export interface Combination {
  /** Sorted by id (code-unit order). */
  tableIds: string[];
  seats: number;
}

export const DEFAULT_MAX_TABLES = 3;

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Sorted id lists compared element by element; a proper prefix comes first. */
function compareIds(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = byId(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

const better = (a: Combination, b: Combination): boolean =>
  a.seats !== b.seats ? a.seats < b.seats : a.tableIds.length !== b.tableIds.length ? a.tableIds.length < b.tableIds.length : compareIds(a.tableIds, b.tableIds) < 0;

/** Whether two tables may be combined: each names the other. */
export function mutuallyCombinable(a: CombinableTable, b: CombinableTable): boolean {
  return a.id !== b.id && (a.combinableWith ?? []).includes(b.id) && (b.combinableWith ?? []).includes(a.id);
}

/** Whether these tables form a valid combination: every pair mutually listed (one table always does). */
export function isValidCombination(tables: readonly CombinableTable[]): boolean {
  for (let i = 0; i < tables.length; i++) {
    for (let j = i + 1; j < tables.length; j++) if (!mutuallyCombinable(tables[i]!, tables[j]!)) return false;
  }
  return true;
}

/**
 * The free tables that seat a party of `partySize`: the smallest fitting single table, else the smallest
 * valid combination of up to `maxTables` free tables (rules above). Null when nothing fits. Tables with a
 * duplicate id count once (the first); a non-positive or fractional party size fits nothing.
 */
export function smallestCombination(
  tables: readonly CombinableTable[],
  free: ReadonlySet<string>,
  partySize: number,
  maxTables: number = DEFAULT_MAX_TABLES,
): Combination | null {
  if (!Number.isInteger(partySize) || partySize < 1) return null;
  const firstById = new Map<string, CombinableTable>();
  for (const t of tables) if (!firstById.has(t.id)) firstById.set(t.id, t);
  const candidates = [...firstById.values()].filter((t) => free.has(t.id) && t.seats > 0).sort((a, b) => byId(a.id, b.id));

  let best: Combination | null = null;
  for (const t of candidates) {
    const c = { tableIds: [t.id], seats: t.seats };
    if (t.seats >= partySize && (!best || better(c, best))) best = c;
  }
  if (best) return best;

  // a table that names no other can be in no combination: leaving it out keeps the search to the tables
  // the owner has paired (most restaurants have none)
  const pool = candidates.filter((t) => (t.combinableWith ?? []).length > 0);
  walkCombinations(pool, maxTables, (ids, seats) => {
    if (ids.length >= 2 && seats >= partySize) {
      const c = { tableIds: ids.map((i) => pool[i]!.id), seats };
      if (!best || better(c, best)) best = c;
      return false; // adding a table only adds seats and tables: never better
    }
    return !(best && seats >= best.seats); // any completion would have more seats than the best
  });
  return best;
}

/**
 * Depth-first over the valid combinations of up to `maxTables` of `pool` (sorted by id), each as ascending
 * indices with its seats, calling `visit` for each (single tables included); `visit` answers whether to
 * extend it. A combination is extended only by a later table mutually listed with every table in it, found
 * among the first table's neighbours, so the walk costs about n·d^(maxTables−1) for n tables that name d
 * others each, not C(n, maxTables).
 */
function walkCombinations(pool: readonly CombinableTable[], maxTables: number, visit: (ids: readonly number[], seats: number) => boolean): void {
  const index = new Map(pool.map((t, i) => [t.id, i]));
  // per table, the later tables (by index) it is mutually combinable with, ascending
  const later = pool.map((t, i) => {
    const js = new Set<number>();
    for (const id of t.combinableWith ?? []) {
      const j = index.get(id);
      if (j !== undefined && j > i && mutuallyCombinable(t, pool[j]!)) js.add(j);
    }
    return [...js].sort((a, b) => a - b);
  });
  const laterSets = later.map((js) => new Set(js));
  const limit = Math.min(Math.floor(maxTables), pool.length);
  const chosen: number[] = [];
  const extend = (seats: number): void => {
    if (chosen.length >= limit) return;
    const last = chosen[chosen.length - 1];
    const next = chosen.length === 0 ? pool.map((_, i) => i) : later[chosen[0]!]!.filter((j) => j > last!);
    for (const j of next) {
      if (!chosen.every((c, k) => k === 0 || laterSets[c]!.has(j))) continue;
      chosen.push(j);
      const total = seats + pool[j]!.seats;
      if (visit(chosen, total)) extend(total);
      chosen.pop();
    }
  };
  extend(0);
}

/** Whether any free single table or valid combination seats the party (availability counts combinations). */
export function availableCapacity(
  tables: readonly CombinableTable[],
  free: ReadonlySet<string>,
  partySize: number,
  maxTables: number = DEFAULT_MAX_TABLES,
): boolean {
  return smallestCombination(tables, free, partySize, maxTables) !== null;
}

/**
 * The most seats any single table or valid combination of up to `maxTables` tables offers, all tables free:
 * no larger party can ever be seated (the party-size limit). 0 without tables.
 */
export function largestSeating(tables: readonly CombinableTable[], maxTables: number = DEFAULT_MAX_TABLES): number {
  const firstById = new Map<string, CombinableTable>();
  for (const t of tables) if (!firstById.has(t.id)) firstById.set(t.id, t);
  const all = [...firstById.values()].filter((t) => t.seats > 0);
  let most = all.reduce((max, t) => Math.max(max, t.seats), 0);
  const pool = all.filter((t) => (t.combinableWith ?? []).length > 0).sort((a, b) => byId(a.id, b.id));
  walkCombinations(pool, maxTables, (ids, seats) => {
    if (ids.length >= 2) most = Math.max(most, seats);
    return true;
  });
  return most;
}
