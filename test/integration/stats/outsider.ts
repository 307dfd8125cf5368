/**
 * An outsider's attacks on published statistics. Everything here reads ONLY what a release publishes
 * (the manifest and the published cells, as the API and BI tools serve them) and, where the attack
 * is a participant's, that participant's own figures. Nothing reads the anonymised zone, the admin
 * tables or the code's internals: the attacks are the issue's four classes, written as someone
 * outside the platform would write them.
 */
import type { ObjectStore } from '../../../functions/domain/ports/index.ts';
import type { Statistic } from '../../../functions/domain/stats/catalog.ts';
import { readPublishedCells, readReleaseManifest } from '../../../functions/domain/stats/service.ts';

export type Cell = Readonly<Record<string, unknown>>;

/** Every published cell of a statistic in a release, as an outsider downloads them. */
export async function download(objects: ObjectStore, releaseId: string, stat: Statistic): Promise<Cell[]> {
  return readPublishedCells(objects, releaseId, stat.name);
}

/**
 * The count noise bound a release documents (the largest amount a published count may differ from
 * the truth, as the manifest states it); 0 when the release documents none, i.e. counts are exact.
 */
export async function documentedCountBound(objects: ObjectStore, releaseId: string): Promise<number> {
  const manifest = (await readReleaseManifest(objects, releaseId)) as unknown as {
    perturbation?: { countNoiseMax?: number };
  };
  return manifest.perturbation?.countNoiseMax ?? 0;
}

const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : undefined;

/** What a release documents about its noise (the manifest's `perturbation`), or exact figures. */
export interface DocumentedNoise {
  /** Largest count noise the perturbation table adds. */
  readonly countNoiseMax: number;
  /** Each company's contribution is multiplied by 1 + δ with companyFactorMin ≤ |δ| ≤ companyFactorMax. */
  readonly companyFactorMin: number;
  readonly companyFactorMax: number;
}

/** The noise a release documents; a release that documents none claims exact figures. */
export async function documentedNoise(objects: ObjectStore, releaseId: string): Promise<DocumentedNoise> {
  const manifest = (await readReleaseManifest(objects, releaseId)) as unknown as {
    perturbation?: DocumentedNoise;
  };
  const p = manifest.perturbation;
  return {
    countNoiseMax: p?.countNoiseMax ?? 0,
    companyFactorMin: p?.companyFactorMin ?? 0,
    companyFactorMax: p?.companyFactorMax ?? 0,
  };
}

/**
 * Attack 3 at its strongest, an outsider who takes the documentation at its word: every published
 * difference d_i of a measure between two releases is one company's true change T (a leaver's
 * contribution, an added person's value) times the same 1 + δ (the factor is documented as the same
 * in every cell and release), give or take `slack` (cell noise that may differ between the releases).
 * So T·(1 + δ) lies in every [d_i − slack, d_i + slack], and T in the pieces below, one per sign of δ
 * (one piece when the documented range has no gap). Empty pieces mean the documentation is false.
 * Differencing, averaging or intersecting many cells can learn no more than this.
 */
export function consistentPieces(
  deltas: readonly number[],
  noise: DocumentedNoise,
  slack: number,
): Array<{ low: number; high: number }> {
  const low = Math.max(...deltas.map((d) => d - slack));
  const high = Math.min(...deltas.map((d) => d + slack));
  if (deltas.length === 0 || low > high || high <= 0) return [];
  const { companyFactorMin: min, companyFactorMax: max } = noise;
  const pieces =
    min === 0
      ? [{ low: low / (1 + max), high: high / (1 - max) }]
      : [
          { low: low / (1 + max), high: high / (1 + min) },
          { low: low / (1 - min), high: high / (1 - max) },
        ];
  return pieces.map((p) => ({ low: Math.max(0, p.low), high: p.high }));
}

/** A value the outsider claims to know: a point or a (narrow) interval, with the cell it came from. */
export interface Claim {
  readonly cell: Cell;
  readonly low: number;
  readonly high: number;
}

/**
 * Attack 1, quantile inversion over companies. `quantile_cont` interpolates between order statistics
 * at position p·(k − 1): with k = 3 companies, x1 = 2·p25 − median, x2 = median, x3 = 2·p75 − median;
 * with k = 5, p25, median and p75 ARE x2, x3 and x4; with k = 4, x2 ∈ [p25, median] and
 * x3 ∈ [median, p75] (as x1 ≤ x2 and x3 ≤ x4), a point when two companies are close.
 */
export function invertCompanyQuantiles(cells: readonly Cell[], prefix: string): Claim[] {
  const claims: Claim[] = [];
  for (const cell of cells) {
    if (cell.suppressed === true) continue;
    const k = num(cell.companies);
    const [p25, median, p75] = ['p25', 'median', 'p75'].map((q) => num(cell[`${prefix}_${q}`]));
    if (k === undefined || p25 === undefined || median === undefined || p75 === undefined) continue;
    const point = (v: number) => claims.push({ cell, low: v, high: v });
    if (k === 3) {
      point(2 * p25 - median);
      point(median);
      point(2 * p75 - median);
    } else if (k === 4) {
      claims.push({ cell, low: Math.min(p25, median), high: Math.max(p25, median) });
      claims.push({ cell, low: Math.min(median, p75), high: Math.max(median, p75) });
    } else if (k === 5) {
      point(p25);
      point(median);
      point(p75);
    }
  }
  return claims;
}

/** Least-squares solve of a small dense system; returns the solution and the largest residual. */
function solve(a: number[][], b: number[]): { x: number[]; residual: number } | undefined {
  const n = a[0]?.length ?? 0;
  // Normal equations AᵀA x = Aᵀb with Gaussian elimination (n ≤ 2 here).
  const ata = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => a.reduce((s, row) => s + (row[i] ?? 0) * (row[j] ?? 0), 0)),
  );
  const atb = Array.from({ length: n }, (_, i) =>
    a.reduce((s, row, r) => s + (row[i] ?? 0) * (b[r] ?? 0), 0),
  );
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++)
      if (Math.abs(ata[r]?.[c] ?? 0) > Math.abs(ata[pivot]?.[c] ?? 0)) pivot = r;
    if (Math.abs(ata[pivot]?.[c] ?? 0) < 1e-12) return undefined;
    [ata[c], ata[pivot]] = [ata[pivot] as number[], ata[c] as number[]];
    [atb[c], atb[pivot]] = [atb[pivot] as number, atb[c] as number];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = (ata[r]?.[c] ?? 0) / (ata[c]?.[c] ?? 1);
      for (let k = c; k < n; k++) (ata[r] as number[])[k] = (ata[r]?.[k] ?? 0) - f * (ata[c]?.[k] ?? 0);
      atb[r] = (atb[r] ?? 0) - f * (atb[c] ?? 0);
    }
  }
  const x = atb.map((v, i) => v / (ata[i]?.[i] ?? 1));
  const residual = Math.max(
    ...a.map((row, r) => Math.abs(row.reduce((s, v, i) => s + v * (x[i] ?? 0), 0) - (b[r] ?? 0))),
  );
  return { x, residual };
}

/**
 * Attack 2, participant subtraction. The participant knows its own employees' values; the cell
 * publishes quartiles (type 7) and a total over all n = own + 2 employees. For every way the two
 * unknown values can sit among its own sorted values, the published quartiles and total are linear
 * equations in the two unknowns; a placement whose solution fits every equation exactly and keeps
 * the order is a candidate pair. A handful of candidates, one of them the truth, is the disclosure:
 * the other companies' employees' exact values, up to a few alternatives.
 */
export function subtractOwnValues(
  cell: Cell,
  own: readonly number[],
  prefix: string,
): Array<[number, number]> {
  const total = num(cell[`${prefix}_total`]);
  const quartiles = [0.25, 0.5, 0.75].map(
    (p) => [p, num(cell[`${prefix}_${p === 0.5 ? 'median' : `p${p * 100}`}`])] as const,
  );
  const mine = [...own].sort((x, y) => x - y);
  const n = mine.length + 2;
  const solutions: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      // The sorted vector as linear forms [coef u, coef v, constant].
      const forms: Array<[number, number, number]> = [];
      let k = 0;
      for (let pos = 0; pos < n; pos++) {
        if (pos === i) forms.push([1, 0, 0]);
        else if (pos === j) forms.push([0, 1, 0]);
        else forms.push([0, 0, mine[k++] as number]);
      }
      const rows: number[][] = [];
      const rhs: number[] = [];
      for (const [p, value] of quartiles) {
        if (value === undefined) continue;
        const h = p * (n - 1);
        const lo = Math.floor(h);
        const w = h - lo;
        const a = forms[lo] as [number, number, number];
        const b = forms[Math.min(lo + 1, n - 1)] as [number, number, number];
        rows.push([(1 - w) * a[0] + w * b[0], (1 - w) * a[1] + w * b[1]]);
        rhs.push(value - ((1 - w) * a[2] + w * b[2]));
      }
      if (total !== undefined) {
        rows.push([1, 1]);
        rhs.push(total - mine.reduce((s, v) => s + v, 0));
      }
      const solved = rows.length >= 2 ? solve(rows, rhs) : undefined;
      if (!solved || solved.residual > 1e-6) continue;
      const [u, v] = solved.x as [number, number];
      const sorted = forms.map(([a, b, c]) => a * u + b * v + c);
      if (u < 0 || sorted.some((x, pos) => pos > 0 && x < (sorted[pos - 1] as number) - 1e-9)) continue;
      solutions.push([u, v]);
    }
  }
  return solutions;
}

/** Whether a cell covers a company with this profile (its own cell or any margin above it). */
export function covers(
  stat: Statistic,
  cell: Cell,
  profile: { industry: string; sizeBand: string; prefecture: string; region: string },
): boolean {
  if (cell.industry !== undefined && cell.industry !== '_total' && cell.industry !== profile.industry)
    return false;
  if (cell.size_band !== undefined && cell.size_band !== '_total' && cell.size_band !== profile.sizeBand)
    return false;
  for (const d of stat.dimensions)
    if (d !== 'industry' && d !== 'size_band' && cell[d] !== '_total') return false;
  if (cell.geo_level === 'prefecture') return cell.prefecture === profile.prefecture;
  if (cell.geo_level === 'region') return cell.region === profile.region;
  return true;
}

/**
 * Attack 3, differencing between two releases: every cell published in both whose key matches,
 * paired with the difference of each measure (earlier − later).
 */
export function differences(
  stat: Statistic,
  earlier: readonly Cell[],
  later: readonly Cell[],
  keyColumns: readonly string[],
): Array<{ cell: Cell; delta: Record<string, number> }> {
  const keyOf = (c: Cell) => keyColumns.map((k) => String(c[k])).join('|');
  const byKey = new Map(later.map((c) => [keyOf(c), c]));
  const out: Array<{ cell: Cell; delta: Record<string, number> }> = [];
  for (const a of earlier) {
    const b = byKey.get(keyOf(a));
    if (!b || a.suppressed === true || b.suppressed === true) continue;
    const delta: Record<string, number> = {};
    for (const m of stat.measures) {
      const x = num(a[m.column]);
      const y = num(b[m.column]);
      if (x !== undefined && y !== undefined) delta[m.column] = x - y;
    }
    out.push({ cell: a, delta });
  }
  return out;
}

/**
 * Attack 4, pooling two releases' margin equations. Every margin of a published table equals the sum
 * of its cells along one axis. The outsider is a company that joined between the releases: it knows
 * its own contribution to the cells it joined (`joined`) and assumes every other finest cell
 * (prefecture level) kept its value. It writes the margin equations of both releases, takes every
 * published value as known and solves the pooled system (dense elimination); it returns the
 * suppressed cells the system determines, with the value and what it was computed from: the value is
 * Σ λ·(published figure) + Σ μ·(own contribution), and `figures` is Σ |λ|, `own` is Σ |μ|·(own
 * contribution), so the noise of the figures and of the outsider's own factor bound its error.
 */
export function poolSuppressionPatterns(
  stat: Statistic,
  releases: readonly [readonly Cell[], readonly Cell[]],
  measure: string,
  keyColumns: readonly string[],
  joined: (cell: Cell) => number,
): Array<{ cell: Cell; value: number; figures: number; own: number }> {
  const keyOf = (c: Cell) => keyColumns.map((k) => String(c[k])).join('|');
  const finest = (c: Cell) => c.geo_level === 'prefecture' && stat.dimensions.every((d) => c[d] !== '_total');
  // A finest cell is one variable x across both releases (x + own contribution in the second).
  const variableOf = (r: number, c: Cell) => (finest(c) ? `*|${keyOf(c)}` : `${r}|${keyOf(c)}`);
  const offset = (r: number, c: Cell) => (finest(c) && r === 1 ? joined(c) : 0);
  // What each value is made of: published figures (`fig:`) and own contributions (`own:`, with their value).
  type Combination = Map<string, number>;
  const addTo = (into: Combination, from: Combination, factor: number) => {
    for (const [source, coefficient] of from)
      into.set(source, (into.get(source) ?? 0) + factor * coefficient);
  };
  const ownValues = new Map<string, number>();
  const ownSource = (r: number, c: Cell) => {
    const source = `own:${r}|${keyOf(c)}`;
    ownValues.set(source, offset(r, c));
    return source;
  };
  const figureValues = new Map<string, number>();
  const known = new Map<string, { value: number; made: Combination }>();
  releases.forEach((cells, r) => {
    for (const c of cells) {
      const v = num(c[measure]);
      if (c.suppressed !== true && v !== undefined) {
        figureValues.set(`fig:${r}|${keyOf(c)}`, v);
        const made: Combination = new Map([[`fig:${r}|${keyOf(c)}`, 1]]);
        if (offset(r, c) !== 0) made.set(ownSource(r, c), -1);
        known.set(variableOf(r, c), { value: v - offset(r, c), made });
      }
    }
  });
  const unknown = new Map<string, { cell: Cell; index: number }>();
  // Each equation: Σ coefficient · unknown = rhs.
  const equations: Array<{ terms: Map<number, number>; rhs: number; made: Combination }> = [];
  releases.forEach((cells, r) => {
    const byKey = new Map(cells.map((c) => [keyOf(c), c]));
    const groups = new Map<string, { total: Cell; members: Cell[] }>();
    const add = (axis: string, parent: Record<string, unknown>, member: Cell) => {
      const total = byKey.get(keyOf(parent));
      if (!total) return;
      const id = `${keyOf(total)}#${axis}`;
      const g = groups.get(id) ?? { total, members: [] };
      g.members.push(member);
      groups.set(id, g);
    };
    for (const c of cells) {
      for (const d of stat.dimensions) if (c[d] !== '_total') add(d, { ...c, [d]: '_total' }, c);
      if (c.geo_level === 'prefecture') add('geo', { ...c, geo_level: 'region', prefecture: '_total' }, c);
      if (c.geo_level === 'region') {
        add(
          'geo',
          {
            ...c,
            geo_level: 'national',
            region: '_total',
            ...('prefecture' in c ? { prefecture: '_total' } : {}),
          },
          c,
        );
      }
    }
    for (const g of groups.values()) {
      const terms = new Map<number, number>();
      let rhs = 0;
      const made: Combination = new Map();
      const term = (c: Cell, coefficient: number) => {
        const name = variableOf(r, c);
        rhs -= coefficient * offset(r, c);
        if (offset(r, c) !== 0) addTo(made, new Map([[ownSource(r, c), 1]]), -coefficient);
        const value = known.get(name);
        if (value !== undefined) {
          rhs -= coefficient * value.value;
          addTo(made, value.made, -coefficient);
          return;
        }
        let entry = unknown.get(name);
        if (!entry) {
          entry = { cell: c, index: unknown.size };
          unknown.set(name, entry);
        }
        terms.set(entry.index, (terms.get(entry.index) ?? 0) + coefficient);
      };
      term(g.total, 1);
      for (const m of g.members) term(m, -1);
      if (terms.size > 0) equations.push({ terms, rhs, made });
    }
  });
  // Dense reduced row echelon form over the unknowns: a row left with one unknown determines it.
  const n = unknown.size;
  const rows = equations.map((e) => {
    const row = new Array<number>(n + 1).fill(0);
    for (const [i, v] of e.terms) row[i] = v;
    row[n] = e.rhs;
    return { row, made: new Map(e.made) };
  });
  let rank = 0;
  for (let col = 0; col < n && rank < rows.length; col++) {
    let pivot = -1;
    for (let r = rank; r < rows.length && pivot < 0; r++)
      if (Math.abs(rows[r]?.row[col] ?? 0) > 1e-9) pivot = r;
    if (pivot < 0) continue;
    const pivotRow = rows[pivot] as (typeof rows)[number];
    rows[pivot] = rows[rank] as (typeof rows)[number];
    rows[rank] = pivotRow;
    const p = pivotRow.row;
    const pv = p[col] as number;
    for (let c = 0; c <= n; c++) p[c] = (p[c] as number) / pv;
    for (const [source, coefficient] of pivotRow.made) pivotRow.made.set(source, coefficient / pv);
    for (let r = 0; r < rows.length; r++) {
      if (r === rank) continue;
      const { row, made } = rows[r] as (typeof rows)[number];
      const f = row[col] as number;
      if (Math.abs(f) < 1e-12) continue;
      for (let c = 0; c <= n; c++) row[c] = (row[c] as number) - f * (p[c] as number);
      addTo(made, pivotRow.made, -f);
    }
    rank++;
  }
  const cells = [...unknown.values()];
  const determined: Array<{ cell: Cell; value: number; figures: number; own: number }> = [];
  for (let r = 0; r < rank; r++) {
    const { row, made } = rows[r] as (typeof rows)[number];
    const nonZero = row.slice(0, n).flatMap((v, c) => (Math.abs(v) > 1e-9 ? [c] : []));
    if (nonZero.length === 1) {
      const found = cells.find((e) => e.index === nonZero[0]);
      let figures = 0;
      let own = 0;
      let recomputed = 0;
      for (const [source, coefficient] of made) {
        if (source.startsWith('fig:')) figures += Math.abs(coefficient);
        else own += Math.abs(coefficient) * (ownValues.get(source) ?? 0);
        recomputed += coefficient * (figureValues.get(source) ?? ownValues.get(source) ?? Number.NaN);
      }
      // The outsider's own bookkeeping: the value is what its combination of figures gives.
      if (!(Math.abs(recomputed - (row[n] as number)) <= 1e-6 * Math.max(1, Math.abs(recomputed)))) {
        throw new Error('poolSuppressionPatterns: a value does not follow from its combination');
      }
      if (found) determined.push({ cell: found.cell, value: row[n] as number, figures, own });
    }
  }
  return determined;
}
