/**
 * The companies a release pools: each requested tenant whose current facts could be read, with its
 * profile, under a random code new in the release.
 */
import { randomBytes } from 'node:crypto';
import pMap from 'p-map';
import { type CompanyProfile, companyProfileSchema, regionOf } from '../company.ts';
import { NotFoundError } from '../ports/index.ts';
import { tenantsInFlight } from '../uploads/in-flight.ts';
import type { DuckSession } from './duckdb-engine.ts';
import { TenantNotFoundError } from './errors.ts';
import { factKey } from './facts.ts';
import { readFactsGeneration, stampedGenerations } from './facts-generation.ts';
import { download } from './local-files.ts';
import type { MaskingPorts } from './ports.ts';

/** A contributing company's profile in this release, under its random code. */
export interface ReleaseCompany {
  readonly code: string;
  readonly industry: string;
  readonly prefecture: string;
  readonly region: string;
  readonly sizeBand: string;
}

/** A contributing tenant: its code in this release and its facts as read (company facts when it has some). */
export interface Contribution {
  readonly tenantId: string;
  readonly code: string;
  readonly employeePath: string;
  readonly companyPath: string | null;
}

/** A new random company code: 12 hex digits, never stored anywhere but in the release's rows. */
export function newCompanyCode(taken: Set<string>): string {
  for (;;) {
    const code = `C${randomBytes(6).toString('hex')}`;
    if (!taken.has(code)) {
      taken.add(code);
      return code;
    }
  }
}

/**
 * How many companies' objects are read at once. A release makes three S3 requests per company: its two
 * facts one after the other, then, once every company's facts are read, a listing of its generation. At
 * 50,000 companies and tens of milliseconds a request, 16 at once would spend minutes waiting on S3
 * alone. 48 stays under the SDK's 50 sockets per client; /tmp holds the same files either way.
 */
const FETCH_CONCURRENCY = 48;

/**
 * Requested companies a release did not pool, by why (counts only): no facts yet (nothing masked, or
 * their facts removed by a withdrawal or a rebuild that gave up); a withdrawal unfinished when the release
 * asked again; facts whose generation is not the one in force (a rebuild that died before its re-check, or
 * a withdrawal that finished while the release read them). Only the last needs an operator when it
 * lasts: the company's next facts rebuild brings it back (docs/OPERATIONS.md, `StatsCompaniesFactsOutdated`).
 */
export interface CompaniesLeftOut {
  readonly withoutFacts: number;
  readonly withdrawalUnfinished: number;
  readonly factsOutdated: number;
}

/** A tenant's facts as read into the work directory, with the generation in force after the reads. */
interface ReadFacts {
  readonly tenantId: string;
  readonly profile: CompanyProfile;
  readonly employeePath: string;
  readonly companyPath: string | null;
  readonly generation: string;
}

/**
 * Reads the requested tenants' facts into `dir`. Read, not only looked at: facts can be removed at any
 * moment (a withdrawal removes them first, a facts rebuild that gives up removes them), and a company
 * whose facts are gone by then is left out. Then, in this order: companies with a withdrawal unfinished
 * are left out (the uploads table's index of unfinished uploads), and the others' generations are read
 * (facts-generation.ts). A withdrawal committed before a company's facts were read is then either still
 * unfinished (left out) or has renewed the generation read after it (the facts' stamp differs: left out).
 */
export async function readReleaseFacts(
  ports: MaskingPorts,
  {
    tenants,
    profiles,
  }: {
    readonly tenants: readonly string[];
    /** Profiles the caller already read; a tenant missing here is read from the tenants table. */
    readonly profiles?: ReadonlyMap<string, CompanyProfile> | undefined;
  },
  dir: string,
): Promise<{
  readonly read: ReadFacts[];
  readonly leftOut: Omit<CompaniesLeftOut, 'factsOutdated'>;
}> {
  const found = await pMap(
    new Set(tenants),
    async (tenantId) => {
      const profile = profiles?.get(tenantId) ?? (await readProfile(ports, tenantId));
      const employeePath = await downloadIfPresent(ports, factKey(tenantId, 'employee_month'), dir);
      if (employeePath === null) return undefined;
      const companyPath = await downloadIfPresent(ports, factKey(tenantId, 'company_month'), dir);
      return { tenantId, profile, employeePath, companyPath };
    },
    { concurrency: FETCH_CONCURRENCY },
  );
  const withdrawing = await tenantsInFlight(ports.table, 'WITHDRAWING');
  const withFacts = found.filter((t): t is NonNullable<typeof t> => t !== undefined);
  const settled = withFacts.filter((t) => !withdrawing.has(t.tenantId));
  const read = await pMap(
    settled,
    async (tenant) => ({ ...tenant, generation: await readFactsGeneration(ports.objects, tenant.tenantId) }),
    { concurrency: FETCH_CONCURRENCY },
  );
  return {
    read,
    leftOut: {
      withoutFacts: found.length - withFacts.length,
      withdrawalUnfinished: withFacts.length - settled.length,
    },
  };
}

/**
 * The release's companies: those whose facts files all carry the generation in force after they were
 * read, each under a new random code. A company whose facts were built before its latest withdrawal
 * (a rebuild that died before its re-check) is left out until a rebuild writes current ones.
 */
export async function releaseCompanies(db: DuckSession, read: readonly ReadFacts[]) {
  const paths = read.flatMap((t) => (t.companyPath ? [t.employeePath, t.companyPath] : [t.employeePath]));
  const stamped = await stampedGenerations(db, paths);
  const companies: ReleaseCompany[] = [];
  const taken = new Set<string>();
  const contributing: Contribution[] = [];
  const outdated: string[] = [];
  for (const { tenantId, profile, employeePath, companyPath, generation } of read) {
    const files = companyPath ? [employeePath, companyPath] : [employeePath];
    if (!files.every((path) => stamped.get(path) === generation)) {
      outdated.push(tenantId);
      continue;
    }
    const code = newCompanyCode(taken);
    companies.push({
      code,
      industry: profile.industry,
      prefecture: profile.prefecture,
      region: regionOf(profile.prefecture) ?? profile.prefecture,
      sizeBand: profile.sizeBand,
    });
    contributing.push({ tenantId, code, employeePath, companyPath });
  }
  return { companies, contributing, outdated };
}

/**
 * The same rules for one tenant's facts file already read (a company's own benchmark figures,
 * stats/service.ts): it counts only when no withdrawal of the tenant is unfinished and, read after the
 * file, the generation in force is the one the file is stamped with.
 */
export async function factsInForce(
  ports: Pick<MaskingPorts, 'objects' | 'table'>,
  db: DuckSession,
  tenantId: string,
  path: string,
): Promise<boolean> {
  if ((await tenantsInFlight(ports.table, 'WITHDRAWING')).has(tenantId)) return false;
  const generation = await readFactsGeneration(ports.objects, tenantId);
  return (await stampedGenerations(db, [path])).get(path) === generation;
}

/** A tenant's company profile from the tenants table. */
async function readProfile(ports: MaskingPorts, tenantId: string): Promise<CompanyProfile> {
  const item = await ports.table.get('tenants', { tenantId });
  if (!item) throw new TenantNotFoundError(tenantId);
  return companyProfileSchema.parse(item.profile);
}

/** A facts object read into `dir`, or null when there is none. */
async function downloadIfPresent(ports: MaskingPorts, key: string, dir: string): Promise<string | null> {
  try {
    return await download(ports.objects, 'curated', key, dir);
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}
