import type { StorageStack } from '../stacks/storage-stack.ts';
import { GLUE_DATABASES } from './analytics-catalog.ts';
import { bucketLocationStatement, grantAthena } from './athena-grants.ts';
import { resultsPrefix } from './athena-workgroups.ts';
import { grantBucket } from './grants.ts';
import type { KuraFunction } from './kura-function.ts';

/**
 * Everything a statistics release needs (functions/domain/stats/README.md, "What the other parts must
 * wire"): read the anonymised zone, read/write/delete both stats prefixes, and on the Athena path the
 * `etl` workgroup with CTAS/DROP/ADD PARTITION in `kura_stats`, `kura_stats_admin`, `kura_stats_work`.
 * Used by the stats-release function and by the purge, which publishes a release without the purged
 * tenant in its own process (functions/purge/runtime.ts).
 */
export function grantStatsRelease(fn: KuraFunction, storage: StorageStack): void {
  const { buckets } = storage;
  grantBucket(fn, buckets.curated, 'curated', 'read', { prefix: 'anonymised/' });
  grantBucket(fn, buckets.stats, 'stats', 'readWrite');
  grantBucket(fn, buckets.stats, 'stats', 'delete');
  grantBucket(fn, buckets['query-results'], 'query-results', 'readWrite', { prefix: resultsPrefix('etl') });
  grantAthena(fn, 'etl', {
    read: [
      GLUE_DATABASES.anonymised,
      GLUE_DATABASES.stats,
      GLUE_DATABASES.statsAdmin,
      GLUE_DATABASES.statsWork,
    ],
    write: [GLUE_DATABASES.stats, GLUE_DATABASES.statsAdmin, GLUE_DATABASES.statsWork],
  });
  fn.addToRolePolicy(
    bucketLocationStatement([
      buckets.curated.bucketArn,
      buckets.stats.bucketArn,
      buckets['query-results'].bucketArn,
    ]),
  );
}
