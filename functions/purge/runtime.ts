import type { EnvironmentNeeds } from '../adapters/environment.ts';
import type { Runtime } from '../adapters/runtime.ts';
import { requestJob } from '../domain/jobs/jobs.ts';
import type { PurgeJobPorts } from '../domain/purge/job.ts';
import { purgeLedger } from '../domain/purge/ledger.ts';
import { SCHEDULER_ACTOR } from '../domain/purge/ports.ts';

/** What the deployed function needs from its environment (checked at its first invocation). */
export const PURGE_NEEDS: EnvironmentNeeds = {
  buckets: ['landing', 'raw', 'curated', 'query-results', 'audit'],
  tables: ['tenants', 'uploads', 'ledger', 'jobs'],
  keySecrets: true,
  jobs: ['release', 'purge'],
  userPool: true,
  replicas: ['curated'],
};

/**
 * The purge function's composition root: its ports over a runtime (deployed or local). The Lambda
 * handler, the local platform and the tests all build the purge through this one function. The
 * release after a purge is a job of the release function, started through the runtime's job starter.
 */
export function composePurge(runtime: Runtime): PurgeJobPorts {
  const { objects, table, keys, users, settings, clock, newId, jobs, replica } = runtime;
  return {
    objects,
    tables: table,
    table,
    keys,
    users,
    ledger: purgeLedger({ table, clock }),
    settings,
    clock,
    newId,
    jobs,
    replica,
    requestRelease: async ({ reason, tenantId }) => {
      const job = await requestJob(
        { table, clock, newId, jobs },
        {
          kind: 'release',
          reason,
          actor: { subject: SCHEDULER_ACTOR.subject, roles: [...SCHEDULER_ACTOR.roles] },
          ...(tenantId ? { tenantId } : {}),
        },
      );
      return { jobId: job.jobId };
    },
  };
}
