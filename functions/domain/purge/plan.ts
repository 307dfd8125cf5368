/** A dry run: what a purge would delete, counted like the purge counts, deleting nothing. */
import type { Item, TenantUserCounts } from '../ports/index.ts';
import { TABLE_DEFINITIONS } from '../ports/table.ts';
import type { TenantRecord } from '../tenants/model.ts';
import { effectiveState, purgeDueDate } from '../tenants/rules.ts';
import type { BucketCounts } from './certificate.ts';
import { countsDelta } from './checkpoint.ts';
import { countsKey, purgeLocations, storeOf, TENANT_DATA_TABLES } from './locations.ts';
import type { PurgePorts } from './ports.ts';

/** Keys shown per bucket in a plan. */
const SAMPLE_SIZE = 5;

export interface PurgePlan {
  readonly tenantId: string;
  readonly state: TenantRecord['state'];
  readonly legalHold: boolean;
  readonly dueDate?: string | undefined;
  readonly buckets: Readonly<Record<string, BucketCounts>>;
  /** A few keys per bucket, so the operator sees what kind of data goes. */
  readonly samples: Readonly<Record<string, readonly string[]>>;
  readonly tables: Readonly<Record<string, { readonly rows: number }>>;
  readonly keys: number;
  /** The company's user accounts: those that can still sign in would be disabled. */
  readonly users: TenantUserCounts;
}

/** What a purge would delete, counted like the purge counts, deleting nothing. */
export async function planPurge(ports: PurgePorts, tenant: TenantRecord, now: Date): Promise<PurgePlan> {
  const buckets: Record<string, BucketCounts> = {};
  const samples: Record<string, string[]> = {};
  for (const location of purgeLocations(ports, tenant.tenantId)) {
    const bucket = countsKey(location);
    const counts = { ...(buckets[bucket] ?? countsDelta()) };
    const bucketSamples = samples[bucket] ?? [];
    let lastKey: string | undefined;
    for await (const version of storeOf(ports, location).listVersions(location.bucket, location.prefix)) {
      if (version.isDeleteMarker) counts.deleteMarkers++;
      else counts.versions++;
      if (version.key !== lastKey) {
        counts.objects++;
        if (bucketSamples.length < SAMPLE_SIZE) bucketSamples.push(version.key);
      }
      lastKey = version.key;
    }
    buckets[bucket] = counts;
    samples[bucket] = bucketSamples;
  }
  const tables: Record<string, { rows: number }> = {};
  for (const table of TENANT_DATA_TABLES) {
    const { partitionKey } = TABLE_DEFINITIONS[table];
    let rows = 0;
    let cursor: Item | undefined;
    do {
      const page = await ports.tables.query({
        table,
        partition: { name: partitionKey, value: tenant.tenantId },
        cursor,
      });
      rows += page.items.length;
      cursor = page.cursor;
    } while (cursor);
    tables[table] = { rows };
  }
  return {
    tenantId: tenant.tenantId,
    state: effectiveState(tenant, now),
    legalHold: tenant.legalHold,
    dueDate: purgeDueDate(tenant.contract, ports.settings),
    buckets,
    samples,
    tables,
    keys: (await ports.keys.exists(tenant.tenantId)) ? 1 : 0,
    users: await ports.users.countTenantUsers(tenant.tenantId),
  };
}
