/**
 * Secondary (complementary) suppression. When a statistic publishes margins, every margin equals the
 * sum of its cells along one axis (a dimension, or one step up the geography hierarchy), for the
 * additive measures (counts and totals; a mean follows from them). Each such group is a linear
 * equation `total − Σ cells = 0`. A suppressed value is recoverable by subtraction exactly when it
 * is determined by the system of equations whose other terms are published.
 *
 * The algorithm, run to a fixpoint:
 * 1. in every group with exactly one suppressed term (cell or total), suppress the smallest published
 *    cell of that group (by contributing rows; the total only if no cell is left);
 * 2. when no group has a single suppressed term, solve the whole system (sparse Gaussian elimination
 *    over the suppressed terms) and, for any suppressed term still determined (e.g. a cell that links
 *    two otherwise protected patterns), suppress the smallest published cell of a group containing it.
 * Step 2 matters: "no group with exactly one suppression" alone does not protect a cell that is a
 * bridge between two protected patterns. Termination: each round suppresses at least one more cell,
 * and a table whose every cell is suppressed has no determined value.
 */
import { DIMENSIONS, type Dimension, type Statistic, statisticKeyColumns, TOTAL } from './catalog.ts';
import { populationSignature } from './sql.ts';

/** What secondary suppression needs to know about a cell. */
export interface CellIndexEntry {
  readonly cellKey: string;
  /** Key column values (period, dimensions, geo_level, prefecture?, region). */
  readonly keys: Readonly<Record<string, string>>;
  /** Contributing rows: the smallest published cell is sacrificed first. */
  readonly nRows: number;
  readonly primaryReason: string | null;
}

/** A margin equation: the total equals the sum of its members. */
export interface MarginGroup {
  readonly id: string;
  readonly total: string;
  readonly members: readonly string[];
}

function keyOf(stat: Statistic, keys: Readonly<Record<string, string>>): string {
  return statisticKeyColumns(stat)
    .map((c) => keys[c])
    .join('|');
}

/** The margin equations of a statistic's cells (none when it publishes no margins). */
export function marginGroups(stat: Statistic, cells: readonly CellIndexEntry[]): MarginGroup[] {
  if (!stat.margins) return [];
  const present = new Set(cells.map((c) => c.cellKey));
  const groups = new Map<string, { total: string; members: string[] }>();
  const add = (axis: string, parentKeys: Record<string, string>, member: string) => {
    const total = keyOf(stat, parentKeys);
    if (!present.has(total)) return;
    const id = `${total}#${axis}`;
    const group = groups.get(id) ?? { total, members: [] };
    group.members.push(member);
    groups.set(id, group);
  };
  for (const cell of cells) {
    for (const d of stat.dimensions) {
      if (cell.keys[d] !== TOTAL) add(d, { ...cell.keys, [d]: TOTAL }, cell.cellKey);
    }
    if (cell.keys.geo_level === 'prefecture') {
      add('geography', { ...cell.keys, geo_level: 'region', prefecture: TOTAL }, cell.cellKey);
    } else if (cell.keys.geo_level === 'region') {
      const parent: Record<string, string> = { ...cell.keys, geo_level: 'national', region: TOTAL };
      if (stat.geography === 'prefecture') parent.prefecture = TOTAL;
      add('geography', parent, cell.cellKey);
    }
  }
  return [...groups.entries()].map(([id, g]) => ({ id, total: g.total, members: g.members }));
}

const EPSILON = 1e-9;

/**
 * Suppressed terms whose value the published cells and margins determine exactly: the unit vectors
 * in the row space of the equations restricted to the suppressed terms (found with sparse RREF).
 */
export function determinedCells(groups: readonly MarginGroup[], suppressed: ReadonlySet<string>): string[] {
  const index = new Map<string, number>();
  const names: string[] = [];
  const column = (key: string) => {
    let i = index.get(key);
    if (i === undefined) {
      i = names.length;
      index.set(key, i);
      names.push(key);
    }
    return i;
  };
  const pivots = new Map<number, Map<number, number>>();
  for (const group of groups) {
    const row = new Map<number, number>();
    const addTerm = (key: string, coefficient: number) => {
      if (!suppressed.has(key)) return;
      const c = column(key);
      const next = (row.get(c) ?? 0) + coefficient;
      if (Math.abs(next) < EPSILON) row.delete(c);
      else row.set(c, next);
    };
    addTerm(group.total, 1);
    for (const m of group.members) addTerm(m, -1);
    // Reduce by existing pivots; pivot rows are kept in reduced form, so one pass suffices.
    for (const [c, coefficient] of [...row]) {
      const pivotRow = pivots.get(c);
      if (!pivotRow) continue;
      for (const [pc, pv] of pivotRow) {
        const next = (row.get(pc) ?? 0) - coefficient * pv;
        if (Math.abs(next) < EPSILON) row.delete(pc);
        else row.set(pc, next);
      }
    }
    if (row.size === 0) continue;
    const [pivot, pivotValue] = row.entries().next().value as [number, number];
    for (const [c, v] of row) row.set(c, v / pivotValue);
    for (const other of pivots.values()) {
      const factor = other.get(pivot);
      if (factor === undefined) continue;
      for (const [c, v] of row) {
        const next = (other.get(c) ?? 0) - factor * v;
        if (Math.abs(next) < EPSILON) other.delete(c);
        else other.set(c, next);
      }
    }
    pivots.set(pivot, row);
  }
  return [...pivots.entries()].filter(([, row]) => row.size === 1).map(([pivot]) => names[pivot] as string);
}

/** Groups whose single suppressed term could be worked out by subtraction (for audits and tests). */
export function groupsWithSingleSuppression(
  groups: readonly MarginGroup[],
  suppressed: ReadonlySet<string>,
): MarginGroup[] {
  return groups.filter((g) => [g.total, ...g.members].filter((k) => suppressed.has(k)).length === 1);
}

/** A statistic's cell index, for suppression across linked tables. */
export interface StatisticCells {
  readonly stat: Statistic;
  readonly cells: readonly CellIndexEntry[];
}

/** Canonical columns shared by every statistic: period, every dimension, geography. */
const CANONICAL_COLUMNS = [
  'period',
  ...(Object.keys(DIMENSIONS) as Dimension[]),
  'geo_level',
  'prefecture',
  'region',
];

/**
 * The identity of a cell across linked tables: population signature plus the values of every
 * dimension (`_total` where the statistic lacks it), so the same count in two tables is one term.
 */
function linkedId(stat: Statistic, keys: Readonly<Record<string, string>>): string {
  return `${populationSignature(stat)}#${CANONICAL_COLUMNS.map((c) => keys[c] ?? TOTAL).join('|')}`;
}

/**
 * Cells to suppress in addition to the primary ones, across statistics computed from the same rows
 * (linked tables: a cell suppressed in one is suppressed in all), so that no suppressed value can be
 * derived from the published cells and margins of any of them. Returns the secondary cell keys per
 * statistic name, sorted; a cell whose twin in a linked table is primary is secondary here.
 */
export function linkedSecondarySuppression(tables: readonly StatisticCells[]): Map<string, string[]> {
  const idOf = new Map<string, Map<string, string>>();
  const size = new Map<string, number>();
  const primary = new Set<string>();
  const groups: MarginGroup[] = [];
  for (const { stat, cells } of tables) {
    const ids = new Map(cells.map((c) => [c.cellKey, linkedId(stat, c.keys)]));
    idOf.set(stat.name, ids);
    for (const c of cells) {
      const id = ids.get(c.cellKey) as string;
      size.set(id, c.nRows);
      if (c.primaryReason !== null) primary.add(id);
    }
    for (const g of marginGroups(stat, cells)) {
      groups.push({
        id: `${stat.name}:${g.id}`,
        total: ids.get(g.total) as string,
        members: g.members.map((m) => ids.get(m) as string),
      });
    }
  }
  const suppressed = suppressToFixpoint(groups, size, primary);
  return new Map(
    tables.map(({ stat, cells }) => {
      const ids = idOf.get(stat.name) as Map<string, string>;
      const secondary = cells
        .filter((c) => c.primaryReason === null && suppressed.has(ids.get(c.cellKey) as string))
        .map((c) => c.cellKey)
        .sort();
      return [stat.name, secondary];
    }),
  );
}

/**
 * Cells to suppress in addition to the primary ones in one statistic, so that no suppressed value can
 * be derived from its published cells and margins. Returns the secondary cell keys, sorted.
 */
export function secondarySuppression(stat: Statistic, cells: readonly CellIndexEntry[]): string[] {
  return linkedSecondarySuppression([{ stat, cells }]).get(stat.name) ?? [];
}

/** The fixpoint described in the module comment; returns every suppressed term. */
function suppressToFixpoint(
  groups: readonly MarginGroup[],
  size: ReadonlyMap<string, number>,
  primary: ReadonlySet<string>,
): Set<string> {
  const suppressed = new Set(primary);
  if (groups.length === 0 || suppressed.size === 0) return suppressed;
  const groupsOf = new Map<string, MarginGroup[]>();
  for (const g of groups) {
    for (const k of [g.total, ...g.members]) {
      const list = groupsOf.get(k) ?? [];
      list.push(g);
      groupsOf.set(k, list);
    }
  }
  const bySize = (a: string, b: string) =>
    (size.get(a) ?? 0) - (size.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0);
  /** The published cell to sacrifice in a group: the smallest member, else the total. */
  const complement = (g: MarginGroup): string | undefined => {
    const open = g.members.filter((m) => !suppressed.has(m)).sort(bySize);
    return open[0] ?? (suppressed.has(g.total) ? undefined : g.total);
  };

  for (;;) {
    let changed = false;
    for (const g of groups) {
      if ([g.total, ...g.members].filter((k) => suppressed.has(k)).length !== 1) continue;
      const pick = complement(g);
      if (pick !== undefined) {
        suppressed.add(pick);
        changed = true;
      }
    }
    if (changed) continue;
    for (const key of determinedCells(groups, suppressed)) {
      // Breadth-first over the groups around the determined cell until one still has a published cell.
      const seen = new Set<string>();
      let frontier = groupsOf.get(key) ?? [];
      let pick: string | undefined;
      while (frontier.length > 0 && pick === undefined) {
        const candidates = frontier
          .map(complement)
          .filter((k): k is string => k !== undefined)
          .sort(bySize);
        pick = candidates[0];
        for (const g of frontier) seen.add(g.id);
        const next = new Map<string, MarginGroup>();
        for (const g of frontier) {
          for (const k of [g.total, ...g.members]) {
            for (const h of groupsOf.get(k) ?? []) if (!seen.has(h.id)) next.set(h.id, h);
          }
        }
        frontier = [...next.values()];
      }
      if (pick !== undefined) {
        suppressed.add(pick);
        changed = true;
        break;
      }
    }
    if (!changed) break;
  }
  return suppressed;
}
