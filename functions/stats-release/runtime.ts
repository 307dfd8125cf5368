import { WorkerSuppressionSolver } from '../adapters/audit-workers.ts';
import type { EnvironmentNeeds } from '../adapters/environment.ts';
import type { Runtime } from '../adapters/runtime.ts';
import { glueDatabases } from '../domain/athena-names.ts';
import type { ReleasePorts } from '../domain/release/release.ts';

/** What the deployed function needs from its environment (checked at its first invocation). */
export const RELEASE_NEEDS: EnvironmentNeeds = {
  buckets: ['curated', 'stats', 'query-results'],
  // uploads: only its index of unfinished uploads (a withdrawal unfinished keeps a tenant out).
  tables: ['tenants', 'jobs', 'ledger', 'uploads'],
  athena: true,
  platformKey: true,
  // Itself: publishing goes on in a fresh invocation when anonymising left too little time.
  jobs: ['release'],
};

/**
 * The release function's composition root: the one use case (anonymise the contributing tenants, then
 * publish) over a runtime, deployed or local. Athena is there only where the function has a workgroup
 * (deployed): then the stats bucket's physical name and the stage's Glue databases go with it.
 */
export function composeRelease(runtime: Runtime): ReleasePorts {
  const { objects, table, keys, settings, clock, newId, jobs } = runtime;
  const statsBucket = runtime.bucketName('stats');
  return {
    objects,
    table,
    keys,
    settings,
    clock,
    newId,
    jobs,
    // The audit's linear programs on every core the function has (two vCPUs at 3,008 MiB).
    auditSolver: new WorkerSuppressionSolver(),
    athena:
      runtime.athena && statsBucket
        ? { runner: runtime.athena, statsBucket, databases: glueDatabases(runtime.stage) }
        : undefined,
  };
}
