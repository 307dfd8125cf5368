/**
 * A world for fault scenarios: the stores a real system keeps across a crash (objects, table, keys) and
 * helpers to run a step as a fresh process over them, with a fault plan wrapped around every port.
 */
import { createHash } from 'node:crypto';
import { FaultPlan, type FaultRule } from '../../../functions/adapters/faults/plan.ts';
import { faultyKeyStore, faultyObjectStore, faultyTable } from '../../../functions/adapters/faults/ports.ts';
import { MemoryKeyStore, MemoryObjectStore, MemoryTable } from '../../../functions/adapters/memory/index.ts';
import type { KeyStore, ObjectStore, Table } from '../../../functions/domain/ports/index.ts';
import { readCells } from '../masking/fixtures.ts';

/** What survives a crash: the stores. */
export interface World {
  readonly objects: MemoryObjectStore;
  readonly table: MemoryTable;
  readonly keys: FixedKeyStore;
  /** A clock that moves a second per reading (records carry distinct versions). */
  readonly clock: () => Date;
}

/**
 * A key store whose key for a tenant is the same in every world (derived from the tenant id), so the
 * tokens of a run after a crash can be compared with those of an uninterrupted run in another world.
 * Otherwise it behaves as MemoryKeyStore (create, destroy for good).
 */
export class FixedKeyStore extends MemoryKeyStore {
  override async get(tenantId: string): Promise<Uint8Array> {
    await super.get(tenantId);
    return new Uint8Array(createHash('sha256').update(`kura-faults-test-key:${tenantId}`).digest());
  }
}

export function newWorld(): World {
  let tick = Date.parse('2026-04-01T00:00:00.000Z');
  return {
    objects: new MemoryObjectStore({ versioning: 'disabled' }),
    table: new MemoryTable(),
    keys: new FixedKeyStore(),
    clock: () => {
      tick += 1000;
      return new Date(tick);
    },
  };
}

/** The world's ports with the plan's faults in front of them: what one "process" sees. */
export function faultyPorts(
  world: World,
  plan: FaultPlan,
): { objects: ObjectStore; table: Table; keys: KeyStore } {
  return {
    objects: faultyObjectStore(world.objects, plan),
    table: faultyTable(world.table, plan),
    keys: faultyKeyStore(world.keys, plan),
  };
}

/** Port methods that change a store: the points where a crash leaves something half done. */
export const WRITE_METHODS: Readonly<Record<string, readonly string[]>> = {
  objects: ['put', 'copy', 'deleteMany'],
  table: ['put', 'delete'],
  keys: ['create', 'destroy'],
};

/**
 * Runs `step` once with a recording plan and returns crash rules for every write it made, in order: a
 * crash just before the k-th write and (with `after`) one just after it took effect.
 */
export async function crashPoints(
  step: (plan: FaultPlan) => Promise<unknown>,
  options: { readonly after?: boolean } = {},
): Promise<FaultRule[]> {
  const plan = new FaultPlan();
  await step(plan);
  const seen = new Map<string, number>();
  const rules: FaultRule[] = [];
  for (const call of plan.calls) {
    if (!WRITE_METHODS[call.port]?.includes(call.method)) continue;
    const id = `${call.port}.${call.method}`;
    const nth = (seen.get(id) ?? 0) + 1;
    seen.set(id, nth);
    rules.push({ port: call.port, method: call.method, nth, fault: { kind: 'crash' } });
    if (options.after)
      rules.push({ port: call.port, method: call.method, nth, fault: { kind: 'crash-after' } });
  }
  return rules;
}

/** A rule's place, for test names and messages: `objects.put#3`. */
export const describeRule = (rule: FaultRule) =>
  `${rule.fault.kind} ${rule.port}.${rule.method}#${rule.nth ?? 1}`;

/** Every current object of a bucket: key → SHA-256 of its bytes. */
export async function bucketDigest(
  objects: ObjectStore,
  bucket: string,
  prefix = '',
): Promise<Record<string, string>> {
  const digest: Record<string, string> = {};
  for await (const { key } of objects.list(bucket, prefix)) {
    digest[key] = createHash('sha256')
      .update(await objects.get(bucket, key))
      .digest('hex');
  }
  return digest;
}

/** Row count of a Parquet object (throws when the bytes are not a whole Parquet file). */
export async function parquetRowCount(objects: ObjectStore, bucket: string, key: string): Promise<number> {
  return (await readCells(await objects.get(bucket, key))).length;
}
