/**
 * An independent disclosure checker for published statistics tables, written apart from the
 * implementation (functions/domain/stats/suppression.ts) so the tests do not grade it with itself.
 * It rebuilds the margin equations from the published rows alone and solves them densely.
 */
export type Row = Readonly<Record<string, unknown>>;

export interface Group {
  readonly total: Row;
  readonly members: readonly Row[];
}

const TOTAL = '_total';

/** Margin groups of a published table: for every row and axis, the row one step up and its children. */
export function publishedGroups(
  keyColumns: readonly string[],
  dimensions: readonly string[],
  rows: readonly Row[],
): Group[] {
  const keyOf = (r: Row) => keyColumns.map((c) => String(r[c])).join('|');
  const byKey = new Map(rows.map((r) => [keyOf(r), r]));
  const groups = new Map<string, { total: Row; members: Row[] }>();
  const add = (axis: string, parent: Record<string, unknown>, member: Row) => {
    const total = byKey.get(keyOf(parent));
    if (!total) return;
    const id = `${keyOf(parent)}#${axis}`;
    const g = groups.get(id) ?? { total, members: [] };
    g.members.push(member);
    groups.set(id, g);
  };
  for (const r of rows) {
    for (const d of dimensions) if (r[d] !== TOTAL) add(d, { ...r, [d]: TOTAL }, r);
    if (r.geo_level === 'prefecture') add('geo', { ...r, geo_level: 'region', prefecture: TOTAL }, r);
    if (r.geo_level === 'region') {
      add(
        'geo',
        { ...r, geo_level: 'national', region: TOTAL, ...('prefecture' in r ? { prefecture: TOTAL } : {}) },
        r,
      );
    }
  }
  return [...groups.values()];
}

/** Groups with a published total (or published members) in which exactly one term is suppressed. */
export function singleSuppressionGroups(groups: readonly Group[]): Group[] {
  return groups.filter((g) => [g.total, ...g.members].filter((r) => r.suppressed === true).length === 1);
}

/**
 * Suppressed rows whose value the equations determine uniquely: dense Gaussian elimination over the
 * suppressed terms; a term is determined when a unit vector lies in the row space.
 */
export function derivableSuppressedRows(groups: readonly Group[]): Row[] {
  const unknowns: Row[] = [];
  const index = new Map<Row, number>();
  for (const g of groups) {
    for (const r of [g.total, ...g.members]) {
      if (r.suppressed === true && !index.has(r)) {
        index.set(r, unknowns.length);
        unknowns.push(r);
      }
    }
  }
  const n = unknowns.length;
  const matrix = groups
    .map((g) => {
      const row = new Array<number>(n).fill(0);
      const t = index.get(g.total);
      if (t !== undefined) row[t] = (row[t] ?? 0) + 1;
      for (const m of g.members) {
        const i = index.get(m);
        if (i !== undefined) row[i] = (row[i] ?? 0) - 1;
      }
      return row;
    })
    .filter((row) => row.some((v) => v !== 0));
  let rank = 0;
  for (let col = 0; col < n && rank < matrix.length; col++) {
    let pivot = -1;
    let best = 1e-9;
    for (let r = rank; r < matrix.length; r++) {
      const v = Math.abs(matrix[r]?.[col] ?? 0);
      if (v > best) {
        best = v;
        pivot = r;
      }
    }
    if (pivot < 0) continue;
    const tmp = matrix[rank] as number[];
    matrix[rank] = matrix[pivot] as number[];
    matrix[pivot] = tmp;
    const p = matrix[rank] as number[];
    const pv = p[col] as number;
    for (let c = 0; c < n; c++) p[c] = (p[c] as number) / pv;
    for (let r = 0; r < matrix.length; r++) {
      if (r === rank) continue;
      const row = matrix[r] as number[];
      const f = row[col] as number;
      if (Math.abs(f) < 1e-12) continue;
      for (let c = 0; c < n; c++) row[c] = (row[c] as number) - f * (p[c] as number);
    }
    rank++;
  }
  const determined: Row[] = [];
  for (let r = 0; r < rank; r++) {
    const nonZero = (matrix[r] as number[]).flatMap((v, c) => (Math.abs(v) > 1e-9 ? [c] : []));
    if (nonZero.length === 1) determined.push(unknowns[nonZero[0] as number] as Row);
  }
  return determined;
}
