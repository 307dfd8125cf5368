import { glueDatabases } from '../../functions/domain/athena-names.ts';
import type { StorageStack } from '../stacks/storage-stack.ts';
import { bucketLocationStatement, grantAthena } from './athena-grants.ts';
import { resultsPrefix } from './athena-workgroups.ts';
import { grantBucket } from './grants.ts';
import type { KuraFunction } from './kura-function.ts';

/**
 * Everything a statistics release needs (functions/domain/release/README.md): read the tenants' facts,
 * write the anonymised zone, read/write/delete both stats prefixes, and on the Athena path the
 * `etl` workgroup with CTAS/DROP/ADD PARTITION in `kura_stats`, `kura_stats_admin`, `kura_stats_work`.
 * Used by the release function only: every release (scheduled, on demand, after a purge) runs there.
 */
export function grantStatsRelease(fn: KuraFunction, stage: string, storage: StorageStack): void {
  const { buckets } = storage;
  const databases = glueDatabases(stage);
  // Anonymisation reads the contributing tenants' facts and writes the release's anonymised tables.
  grantBucket(fn, buckets.curated, 'curated', 'read', { prefix: 'facts/' });
  grantBucket(fn, buckets.curated, 'curated', 'readWrite', { prefix: 'anonymised/' });
  grantBucket(fn, buckets.stats, 'stats', 'readWrite');
  grantBucket(fn, buckets.stats, 'stats', 'delete');
  grantBucket(fn, buckets['query-results'], 'query-results', 'readWrite', {
    prefix: resultsPrefix(stage, 'etl'),
  });
  grantAthena(fn, stage, 'etl', {
    read: [databases.anonymised, databases.stats, databases.statsAdmin, databases.statsWork],
    write: [databases.stats, databases.statsAdmin, databases.statsWork],
  });
  fn.addToRolePolicy(
    bucketLocationStatement([
      buckets.curated.bucketArn,
      buckets.stats.bucketArn,
      buckets['query-results'].bucketArn,
    ]),
  );
}
