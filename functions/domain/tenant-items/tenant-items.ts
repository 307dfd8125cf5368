/**
 * Tenant-scoped items: records kept in a table partitioned by `tenantId`, next to the tenant's
 * other items (support and supporter grants live in the uploads table's partition, under their own
 * sort-key prefix). Reads always name the tenant's partition and keep only items that parse and
 * carry that same tenant, so one tenant can never be handed another tenant's item, and a tenant
 * purge removes them with the partition.
 */

import type { Table } from '../ports/index.ts';
import type * as z from '../zod.ts';

/** Where a kind of tenant-scoped item lives: its table, sort-key attribute and item schema. */
export interface TenantItemKind<T extends { readonly tenantId: string }> {
  readonly table: string;
  /** The sort-key attribute, e.g. `uploadId` in the uploads table. */
  readonly sortKeyName: string;
  readonly schema: z.ZodMiniType<T>;
}

/** One item of a tenant's partition, or undefined when absent, unparseable or not that tenant's. */
export async function readTenantItem<T extends { readonly tenantId: string }>(
  table: Table,
  kind: TenantItemKind<T>,
  tenantId: string,
  sortKey: string,
): Promise<T | undefined> {
  const item = await table.get(kind.table, { tenantId, [kind.sortKeyName]: sortKey });
  const parsed = item ? kind.schema.safeParse(item) : undefined;
  return parsed?.success && parsed.data.tenantId === tenantId ? parsed.data : undefined;
}

/** Every item of a tenant's partition whose sort key starts with `sortPrefix`, reading every page. */
export async function listTenantItems<T extends { readonly tenantId: string }>(
  table: Table,
  kind: TenantItemKind<T>,
  tenantId: string,
  sortPrefix: string,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await table.query({
      table: kind.table,
      partition: { name: 'tenantId', value: tenantId },
      sortPrefix: { name: kind.sortKeyName, value: sortPrefix },
      cursor,
    });
    for (const item of page.items) {
      const parsed = kind.schema.safeParse(item);
      if (parsed.success && parsed.data.tenantId === tenantId) items.push(parsed.data);
    }
    cursor = page.cursor;
  } while (cursor);
  return items;
}
