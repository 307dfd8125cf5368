/**
 * `GET /stats/{name}/benchmark` for its two kinds of caller: a company user sees its own company's
 * benchmark; a supporter passes `tenantId` and sees that company's benchmark only while the company
 * grants it — otherwise the answer is the same 404 whether the company exists or not.
 */

import { actorOf, hasRole, type Principal, tenantOf } from '../auth/principal.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { msg } from '../i18n.ts';
import { appendLedger } from '../ledger/ledger.ts';
import { type ObjectStore, NotFoundError as PortNotFoundError, type Table } from '../ports/index.ts';
import type { Benchmark } from '../stats/benchmark.ts';
import { StatsReleaseNotFoundError, tenantBenchmark } from '../stats/service.ts';
import { getStatistic, UnknownStatisticError } from '../stats/statistics.ts';
import { TENANTS_TABLE, tenantRecordSchema } from '../tenants/model.ts';
import { findGrant, SUPPORTER_PURPOSE } from './grants.ts';

export interface BenchmarkPorts {
  readonly objects: ObjectStore;
  readonly table: Table;
  readonly clock: () => Date;
}

export interface BenchmarkQuery {
  readonly statistic: string;
  /** The company a supporter asks about; absent (or the caller's own) for a company user. */
  readonly tenantId?: string | undefined;
  readonly period?: string | undefined;
  /** Every query parameter; those naming one of the statistic's other dimensions select it. */
  readonly query?: Readonly<Record<string, string | undefined>>;
}

const companyNotFound = (tenantId: string) =>
  new NotFoundError(
    msg(
      `会社 ${tenantId.slice(0, 63)} のベンチマークは見られません（共有されていないか、存在しません）。`,
      `No benchmark of company ${tenantId.slice(0, 63)} is available to you (it has not granted you access, or does not exist).`,
    ),
    'tenantId',
  );

const unknownStatistic = (name: string) =>
  new NotFoundError(
    msg(
      `統計「${name.slice(0, 64)}」はありません。GET /stats で公表中の統計を確認してください。`,
      `There is no statistic "${name.slice(0, 64)}": GET /stats lists the published ones.`,
    ),
    'name',
  );

export const noReleaseYet = () =>
  new NotFoundError(
    msg(
      '統計はまだ公表されていません。最初の公表をお待ちください。',
      'No statistics have been published yet: wait for the first release.',
    ),
  );

/** A statistic by name, as a NotFoundError (404) the caller can act on when unknown. */
export function knownStatistic(name: string) {
  try {
    return getStatistic(name);
  } catch (error) {
    if (error instanceof UnknownStatisticError) throw unknownStatistic(name);
    throw error;
  }
}

/** Reads through the stats service, turning "nothing published" into a 404 with a bilingual message. */
export async function published<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof StatsReleaseNotFoundError || error instanceof PortNotFoundError)
      throw noReleaseYet();
    throw error;
  }
}

/**
 * The benchmark the caller may see. Supporters' reads (and refusals) are recorded in the ledger with
 * who, when, which company and which statistic.
 */
export async function benchmarkForCaller(
  ports: BenchmarkPorts,
  principal: Principal,
  request: BenchmarkQuery,
): Promise<Benchmark & { readonly releaseId: string; readonly tenantId: string }> {
  const stat = knownStatistic(request.statistic);
  const actor = actorOf(principal);
  const ownTenant = hasRole(principal, 'tenant') ? principal.tenantId : undefined;
  const asked = request.tenantId ?? ownTenant;
  if (asked === undefined) {
    throw new ValidationError(
      msg(
        'tenantId に、ベンチマークを共有している会社の ID を指定してください。',
        'Pass tenantId: the id of a company that granted you access to its benchmarks.',
      ),
      'tenantId',
    );
  }
  const viaGrant = asked !== ownTenant;
  if (viaGrant) {
    const supporterId = hasRole(principal, 'supporter') ? tenantOf(principal) : undefined;
    const grant = supporterId === undefined ? undefined : await findGrant(ports.table, asked, supporterId);
    if (!grant) {
      await appendLedger(ports, {
        action: 'supporter.benchmark_refused',
        actor,
        details: {
          askedTenantId: asked.slice(0, 63),
          supporterId: supporterId ?? null,
          statistic: stat.name,
        },
      });
      throw companyNotFound(asked);
    }
  }
  const record = tenantRecordSchema.safeParse(await ports.table.get(TENANTS_TABLE, { tenantId: asked }));
  if (!record.success || record.data.state === 'PURGED') throw companyNotFound(asked);
  const dimensions = Object.fromEntries(
    stat.dimensions
      .filter((d) => d !== 'industry' && d !== 'size_band')
      .flatMap((d) => {
        const value = request.query?.[d];
        return value === undefined ? [] : [[d, value] as const];
      }),
  );
  const benchmark = await published(() =>
    tenantBenchmark(ports, {
      tenantId: asked,
      profile: record.data.profile,
      statistic: stat.name,
      ...(request.period !== undefined ? { period: request.period } : {}),
      dimensions,
    }),
  );
  if (viaGrant) {
    await appendLedger(ports, {
      action: 'supporter.benchmark_read',
      actor,
      tenantId: asked,
      purpose: SUPPORTER_PURPOSE,
      details: {
        supporterId: tenantOf(principal),
        statistic: stat.name,
        releaseId: benchmark.releaseId,
        period: benchmark.period,
      },
    });
  }
  return { ...benchmark, tenantId: asked };
}
