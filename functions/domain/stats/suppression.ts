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
 * 2. when no group has a single suppressed term, ask the whole system (kept reduced as terms are
 *    suppressed: DeterminedTerms) and, for any suppressed term still determined (e.g. a cell that links
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
 * Suppressed terms whose value the published cells and margins determine exactly: those in which every
 * solution of the equations restricted to the suppressed terms is zero (see DeterminedTerms).
 */
export function determinedCells(groups: readonly MarginGroup[], suppressed: ReadonlySet<string>): string[] {
  const terms = new DeterminedTerms(groups);
  for (const key of suppressed) terms.add(key);
  return terms.determined();
}

/**
 * The suppressed terms the equations determine, kept as terms are suppressed (incremental secondary
 * suppression). A suppressed term is determined exactly when every solution of the equations
 * restricted to the suppressed terms (the null space of that matrix) is zero in it. Suppression only
 * adds columns to the matrix, so the null space only grows: a term once undetermined stays so, and
 * adding a column either adds no null vector (the new term is determined, the others unchanged) or
 * exactly one. Each column is reduced once against a basis of the columns before it (sparse
 * elimination in group order, each basis vector remembering which columns it combines); when it
 * reduces to zero, that combination is the new null vector and every term in it is undetermined.
 * The answer is the same as solving the whole system again after every suppression (a property
 * test holds the two together), without the cost: a release's hundreds of rounds each re-solved
 * components of up to about 1,600 equations. Terms are numbered once; numbering changes no answer.
 */
export class DeterminedTerms {
  /** Term id → term (cell id). */
  readonly #names: string[] = [];
  readonly #idOf = new Map<string, number>();
  /** Term id → its column: group index → coefficient (+1 as a group's total, −1 as a member). */
  readonly #columns: Map<number, number>[] = [];
  /** Group index → the basis vector whose first (lowest) group it is, or −1. */
  readonly #pivotOf: Int32Array;
  /** Basis vectors of the suppressed columns' span, each with its pivot entry scaled to 1. */
  readonly #basis: BasisVector[] = [];
  readonly #suppressed: Uint8Array;
  readonly #undetermined: Uint8Array;
  /** Suppressed terms in at least one group, in the order suppressed. */
  readonly #added: number[] = [];

  constructor(groups: readonly MarginGroup[]) {
    for (const [g, group] of groups.entries()) {
      this.#entry(this.#id(group.total), g, 1);
      for (const member of group.members) this.#entry(this.#id(member), g, -1);
    }
    this.#pivotOf = new Int32Array(groups.length).fill(-1);
    this.#suppressed = new Uint8Array(this.#names.length);
    this.#undetermined = new Uint8Array(this.#names.length);
  }

  #id(key: string): number {
    let id = this.#idOf.get(key);
    if (id === undefined) {
      id = this.#names.length;
      this.#idOf.set(key, id);
      this.#names.push(key);
      this.#columns.push(new Map());
    }
    return id;
  }

  #entry(term: number, group: number, coefficient: number): void {
    const column = this.#columns[term] as Map<number, number>;
    const value = (column.get(group) ?? 0) + coefficient;
    if (value === 0) column.delete(group);
    else column.set(group, value);
  }

  /** A term is suppressed: its column is reduced against the basis of the columns suppressed before. */
  add(key: string): void {
    const id = this.#idOf.get(key);
    // A term in no group is in no equation: nothing determines it.
    if (id === undefined || this.#suppressed[id] === 1) return;
    this.#suppressed[id] = 1;
    this.#added.push(id);
    const entries = new Map(this.#columns[id]);
    const combination = new Map([[id, 1]]);
    const queue = new MinHeap([...entries.keys()]);
    let pivot = -1;
    let last = -1;
    for (let g = queue.pop(); g !== undefined; g = queue.pop()) {
      if (g === last) continue;
      last = g;
      const value = entries.get(g);
      if (value === undefined) continue;
      const b = this.#pivotOf[g] as number;
      if (b < 0) {
        if (pivot < 0) pivot = g;
        continue;
      }
      // Basis vectors hold no group before their pivot, so elimination only adds later groups.
      const vector = this.#basis[b] as BasisVector;
      for (const [row, v] of vector.entries) {
        if (!entries.has(row)) queue.push(row);
        addScaled(entries, row, -value * v);
      }
      for (const [term, v] of vector.combination) addScaled(combination, term, -value * v);
    }
    if (pivot < 0) {
      // Dependent: the combination is a solution of the homogeneous system, non-zero in each of its terms.
      for (const term of combination.keys()) this.#undetermined[term] = 1;
      return;
    }
    const scale = entries.get(pivot) as number;
    for (const [row, v] of entries) entries.set(row, v / scale);
    for (const [term, v] of combination) combination.set(term, v / scale);
    this.#pivotOf[pivot] = this.#basis.length;
    this.#basis.push({ entries, combination });
  }

  /** Every suppressed term the equations determine, sorted. */
  determined(): string[] {
    return this.#added
      .filter((id) => this.#undetermined[id] === 0)
      .map((id) => this.#names[id] as string)
      .sort();
  }
}

/**
 * A basis vector of the suppressed columns' span: its entries (group → value, none before its pivot
 * group) and the columns it combines (term → coefficient).
 */
interface BasisVector {
  readonly entries: Map<number, number>;
  readonly combination: Map<number, number>;
}

/** `values[key] += delta`, dropping an entry that cancels to (numerically) zero. */
function addScaled(values: Map<number, number>, key: number, delta: number): void {
  const next = (values.get(key) ?? 0) + delta;
  if (Math.abs(next) < EPSILON) values.delete(key);
  else values.set(key, next);
}

/** A binary min-heap of integers (group indexes, visited in order during elimination). */
class MinHeap {
  readonly #items: number[] = [];
  constructor(items: readonly number[]) {
    for (const item of items) this.push(item);
  }
  push(item: number): void {
    const items = this.#items;
    let i = items.push(item) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((items[parent] as number) <= item) break;
      items[i] = items[parent] as number;
      i = parent;
    }
    items[i] = item;
  }
  pop(): number | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && (items[right] as number) < (items[left] as number) ? right : left;
      if ((items[child] as number) >= last) break;
      items[i] = items[child] as number;
      i = child;
    }
    items[i] = last;
    return top;
  }
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
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

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
  // Engines return cells in no particular order; the pattern must not depend on it (a release is
  // reproducible), so everything below runs over tables by name and cells by key.
  const canonical = [...tables]
    .sort((a, b) => compareText(a.stat.name, b.stat.name))
    .map(({ stat, cells }) => ({
      stat,
      cells: [...cells].sort((a, b) => compareText(a.cellKey, b.cellKey)),
    }));
  for (const { stat, cells } of canonical) {
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
  const unknownsIn = new Map<string, number>();
  for (const g of groups) {
    const terms = [g.total, ...g.members];
    unknownsIn.set(g.id, terms.filter((k) => suppressed.has(k)).length);
    for (const k of terms) {
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
  const terms = new DeterminedTerms(groups);
  for (const key of suppressed) terms.add(key);
  // Groups with exactly one unknown, kept as a work list as suppression proceeds.
  const single: MarginGroup[] = groups.filter((g) => unknownsIn.get(g.id) === 1);
  const suppress = (key: string) => {
    suppressed.add(key);
    terms.add(key);
    for (const g of groupsOf.get(key) ?? []) {
      const n = (unknownsIn.get(g.id) ?? 0) + 1;
      unknownsIn.set(g.id, n);
      if (n === 1) single.push(g);
    }
  };

  for (;;) {
    // Rule 1: no group may have exactly one unknown.
    for (let g = single.pop(); g !== undefined; g = single.pop()) {
      if (unknownsIn.get(g.id) !== 1) continue;
      const pick = complement(g);
      if (pick !== undefined) suppress(pick);
    }
    // Rule 2: no unknown may be determined by the system as a whole.
    const determined = terms.determined();
    if (determined.length === 0) break;
    const touched = new Set<string>();
    for (const key of determined) {
      if ((groupsOf.get(key) ?? []).some((g) => touched.has(g.id))) continue;
      // Breadth-first over the groups around the determined cell until one still has a published cell.
      const seen = new Set<string>();
      let frontier = groupsOf.get(key) ?? [];
      let pick: string | undefined;
      while (frontier.length > 0 && pick === undefined) {
        pick = frontier
          .map(complement)
          .filter((k): k is string => k !== undefined)
          .sort(bySize)[0];
        for (const g of frontier) seen.add(g.id);
        const next = new Map<string, MarginGroup>();
        for (const g of frontier) {
          for (const k of [g.total, ...g.members]) {
            for (const h of groupsOf.get(k) ?? []) if (!seen.has(h.id)) next.set(h.id, h);
          }
        }
        frontier = [...next.values()];
      }
      if (pick === undefined) continue;
      suppress(pick);
      for (const g of groupsOf.get(pick) ?? []) touched.add(g.id);
      for (const g of groupsOf.get(key) ?? []) touched.add(g.id);
    }
    if (touched.size === 0) break;
  }
  return suppressed;
}
