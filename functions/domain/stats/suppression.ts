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
 * in the row space of the equations restricted to the suppressed terms. Solved per connected
 * component of suppressed terms (components share no unknown, so they are independent systems).
 */
export function determinedCells(groups: readonly MarginGroup[], suppressed: ReadonlySet<string>): string[] {
  const components = new SuppressedComponents(groups);
  for (const key of suppressed) components.add(key);
  return components.determined();
}

/**
 * The connected components of suppressed terms, kept as terms are suppressed (incremental secondary
 * suppression). Suppression only adds unknowns, so components only grow and merge: a union-find over
 * the unknowns holds them, each root keeps its groups (those with an unknown in the component) and the
 * component's last answer, and only components a suppression touched since are solved again. A
 * component's system is a function of its groups, so an untouched component's answer still holds.
 * Terms are numbered once (integers hash and compare faster than the cell ids, and the solver runs
 * hundreds of times on large releases); the numbering changes no choice the solver makes.
 */
class SuppressedComponents {
  /** Term id → term (cell id). */
  readonly #names: string[] = [];
  readonly #idOf = new Map<string, number>();
  /** Group index (in the given order) → its terms, total first. */
  readonly #terms: Int32Array[] = [];
  /** Term id → indexes of the groups it is in. */
  readonly #groupsOf: number[][] = [];
  #suppressed: Uint8Array;
  readonly #parent = new Map<number, number>();
  readonly #members = new Map<number, number[]>();
  readonly #answer = new Map<number, readonly string[]>();
  readonly #dirty = new Set<number>();

  constructor(groups: readonly MarginGroup[]) {
    for (const [i, g] of groups.entries()) {
      const terms = [g.total, ...g.members].map((k) => this.#id(k));
      this.#terms.push(Int32Array.from(terms));
      for (const t of terms) (this.#groupsOf[t] as number[]).push(i);
    }
    this.#suppressed = new Uint8Array(this.#names.length);
  }

  #id(key: string): number {
    let id = this.#idOf.get(key);
    if (id === undefined) {
      id = this.#names.length;
      this.#idOf.set(key, id);
      this.#names.push(key);
      this.#groupsOf.push([]);
    }
    return id;
  }

  #find(k: number): number {
    let root = k;
    while (this.#parent.get(root) !== root) root = this.#parent.get(root) as number;
    let node = k;
    while (node !== root) {
      const next = this.#parent.get(node) as number;
      this.#parent.set(node, root);
      node = next;
    }
    return root;
  }

  #union(a: number, b: number): void {
    let ra = this.#find(a);
    let rb = this.#find(b);
    if (ra === rb) return;
    // The larger component absorbs the smaller: its groups move once per doubling.
    if ((this.#members.get(ra)?.length ?? 0) < (this.#members.get(rb)?.length ?? 0)) [ra, rb] = [rb, ra];
    this.#parent.set(rb, ra);
    const into = this.#members.get(ra) as number[];
    for (const g of this.#members.get(rb) ?? []) into.push(g);
    this.#members.delete(rb);
    this.#answer.delete(rb);
    this.#dirty.delete(rb);
    this.#dirty.add(ra);
  }

  /** A term is suppressed: it joins (and may merge) the components of the groups it is in. */
  add(key: string): void {
    const id = this.#idOf.get(key);
    // A term in no group is in no equation: nothing determines it.
    if (id === undefined || this.#suppressed[id] === 1) return;
    this.#parent.set(id, id);
    this.#members.set(id, []);
    this.#dirty.add(id);
    for (const g of this.#groupsOf[id] as number[]) {
      const other = (this.#terms[g] as Int32Array).find((k) => k !== id && this.#suppressed[k] === 1);
      if (other === undefined) (this.#members.get(this.#find(id)) as number[]).push(g);
      else this.#union(id, other);
    }
    this.#suppressed[id] = 1;
  }

  /** Every determined term, solving again only the components changed since the last call. */
  determined(): string[] {
    for (const root of this.#dirty) {
      const groups = (this.#members.get(root) ?? []).sort((a, b) => a - b);
      const terms = groups.map((g) => this.#terms[g] as Int32Array);
      this.#answer.set(
        root,
        determinedInSystem(terms, this.#suppressed).map((id) => this.#names[id] as string),
      );
    }
    this.#dirty.clear();
    return [...this.#answer.values()].flat().sort();
  }
}

/**
 * `determinedCells` for one system: sparse reduced row echelon form over the suppressed terms. Each
 * group is a row `total − Σ members`, its terms given as ids (total first); returns the ids of the
 * suppressed terms the system determines.
 */
function determinedInSystem(groups: readonly Int32Array[], suppressed: Uint8Array): number[] {
  const pivots = new Map<number, Map<number, number>>();
  /** Column → pivots whose (reduced) row has a non-zero entry in it, so elimination touches only those. */
  const rowsWith = new Map<number, Set<number>>();
  const setEntry = (pivot: number, row: Map<number, number>, c: number, value: number) => {
    if (Math.abs(value) < EPSILON) {
      row.delete(c);
      rowsWith.get(c)?.delete(pivot);
    } else {
      row.set(c, value);
      let set = rowsWith.get(c);
      if (!set) {
        set = new Set();
        rowsWith.set(c, set);
      }
      set.add(pivot);
    }
  };
  for (const terms of groups) {
    const row = new Map<number, number>();
    for (let t = 0; t < terms.length; t += 1) {
      const c = terms[t] as number;
      if (suppressed[c] !== 1) continue;
      const next = (row.get(c) ?? 0) + (t === 0 ? 1 : -1);
      if (Math.abs(next) < EPSILON) row.delete(c);
      else row.set(c, next);
    }
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
    // Pivot on the column that appears in the fewest reduced rows, to limit fill-in.
    let pivot = -1;
    let fewest = Number.POSITIVE_INFINITY;
    for (const c of row.keys()) {
      const n = rowsWith.get(c)?.size ?? 0;
      if (n < fewest) {
        fewest = n;
        pivot = c;
      }
    }
    const pivotValue = row.get(pivot) as number;
    for (const [c, v] of row) row.set(c, v / pivotValue);
    for (const otherPivot of [...(rowsWith.get(pivot) ?? [])]) {
      const other = pivots.get(otherPivot) as Map<number, number>;
      const factor = other.get(pivot) as number;
      for (const [c, v] of row) setEntry(otherPivot, other, c, (other.get(c) ?? 0) - factor * v);
    }
    pivots.set(pivot, row);
    for (const [c, v] of [...row]) setEntry(pivot, row, c, v);
  }
  return [...pivots.entries()].filter(([, row]) => row.size === 1).map(([pivot]) => pivot);
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
  const components = new SuppressedComponents(groups);
  for (const key of suppressed) components.add(key);
  // Groups with exactly one unknown, kept as a work list as suppression proceeds.
  const single: MarginGroup[] = groups.filter((g) => unknownsIn.get(g.id) === 1);
  const suppress = (key: string) => {
    suppressed.add(key);
    components.add(key);
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
    const determined = components.determined();
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
