/**
 * Faults during ingestion (and the masking it runs for accepted uploads), through the real ingest handler
 * and domain over in-memory stores: throttling, 5xx, a hanging read and a crash at every write.
 */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { InjectedServiceError } from '../../../functions/adapters/faults/errors.ts';
import { FaultPlan, type FaultRule, fault } from '../../../functions/adapters/faults/plan.ts';
import type { LandedObject } from '../../../functions/domain/ingest/notification.ts';
import type { Table } from '../../../functions/domain/ports/index.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { type UploadRecord, uploadRecordSchema } from '../../../functions/domain/uploads/model.ts';
import { findStuckUploads, STUCK_AFTER_MS } from '../../../functions/domain/uploads/stuck.ts';
import { withdrawUpload } from '../../../functions/domain/uploads/withdraw.ts';
import { landingKey, pseudonymisedPrefix, rawPrefix } from '../../../functions/domain/zones.ts';
import { createIngestHandler } from '../../../functions/ingest/handler.ts';
import { composeIngest } from '../../../functions/ingest/runtime.ts';
import { sqsMessageFor } from '../../unit/ingest/fixtures.ts';
import { tenantRecord } from '../../unit/purge/fixtures.ts';
import {
  bucketDigest,
  crashPoints,
  describeRule,
  faultyPorts,
  newWorld,
  parquetRowCount,
  type World,
} from './fixtures.ts';

const TENANT = 't-0001';
const UPLOAD = '5f1c9a52-7a3e-4d8e-9a0b-2c4d6e8f0a1b';
const ROWS = 40;
const context = {
  functionName: 'kura-ingest',
  awsRequestId: 'req-faults',
  invokedFunctionArn: 'arn:aws:lambda:ap-northeast-1:123456789012:function:kura-ingest',
} as never;

/** Attendance over two months (two raw Parquet objects), one invalid row among ROWS. */
function attendanceCsv(): string {
  const lines = ['社員番号,勤務日,実労働時間'];
  for (let i = 0; i < ROWS; i++) {
    const month = i < ROWS / 2 ? '04' : '05';
    const day = String((i % 20) + 1).padStart(2, '0');
    lines.push(`E${String(i).padStart(4, '0')},2026-${month}-${day},${i === 7 ? 'eight' : 8}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The API's part: the REQUESTED record and the tenant's key; S3's part: the landed object. */
async function stage(
  world: World,
  declared: Partial<UploadRecord> = {},
): Promise<{ record: UploadRecord; object: LandedObject }> {
  const bytes = new TextEncoder().encode(attendanceCsv());
  const key = landingKey(TENANT, 'attendance', UPLOAD, 'kintai.csv');
  const record: UploadRecord = {
    tenantId: TENANT,
    uploadId: UPLOAD,
    dataset: 'attendance',
    fileName: 'kintai.csv',
    key,
    contentType: 'text/csv',
    sizeBytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('base64'),
    status: 'REQUESTED',
    requestedBy: 'user-1',
    requestedAt: '2026-04-01T00:00:00.000Z',
    expiresAt: '2026-04-01T00:05:00.000Z',
    updatedAt: '2026-04-01T00:00:00.000Z',
    ...declared,
  };
  // The API's check: only a company whose contract runs gets a ticket.
  if (!(await world.table.get('tenants', { tenantId: TENANT })))
    await world.table.put(
      'tenants',
      tenantRecord(TENANT, { state: 'ACTIVE', contract: { start: '2024-04-01' } }),
    );
  await world.table.put('uploads', record);
  await world.keys.create(TENANT);
  await world.objects.put('landing', key, bytes, { contentType: 'text/csv' });
  return {
    record,
    object: { bucket: 'kura-dev-landing', key, size: bytes.length, sequencer: '0055AED6DCD90281E5' },
  };
}

/**
 * One delivery of the notification to a fresh ingest process whose ports carry the plan's faults,
 * composed as the deployed function is (functions/ingest/runtime.ts: masking in ingestion's pass).
 */
async function deliver(world: World, object: LandedObject, plan = new FaultPlan()) {
  const ports = faultyPorts(world, plan);
  const handler = createIngestHandler(async () =>
    composeIngest({ ...ports, settings: defaultSettings, clock: world.clock, tmpDir: tmpdir() }),
  );
  return handler({ Records: [sqsMessageFor(object, 'message-1')] }, context);
}

async function recordOf(world: World): Promise<UploadRecord> {
  return uploadRecordSchema.parse(await world.table.get('uploads', { tenantId: TENANT, uploadId: UPLOAD }));
}

/** What readers can see: the record, the raw and curated objects (with digests), the landing object. */
async function visibleState(world: World) {
  const record = await recordOf(world);
  return {
    status: record.status,
    rows: record.rows,
    outputs: record.outputs,
    reason: record.reason?.code,
    maskedOutputs: record.maskedOutputs,
    raw: await bucketDigest(world.objects, 'raw', rawPrefix(TENANT)),
    quarantine: Object.keys(await bucketDigest(world.objects, 'landing', 'quarantine/')),
    curated: Object.keys(await bucketDigest(world.objects, 'curated', pseudonymisedPrefix(TENANT))).sort(),
    landing: Object.keys(await bucketDigest(world.objects, 'landing', 'landing/')),
  };
}

/** An uninterrupted run, the reference every faulty scenario must end at. */
async function referenceState() {
  const world = newWorld();
  const { object } = await stage(world);
  await deliver(world, object);
  return visibleState(world);
}

/**
 * The visibility rule after any failure: an outcome status names outputs that exist and hold exactly the
 * accepted rows; an unfinished upload is in a state that says so (and that redelivery resumes).
 */
async function assertTruthful(world: World) {
  const record = await recordOf(world);
  if (record.status === 'ACCEPTED' || record.status === 'PARTIALLY_ACCEPTED') {
    const outputs = record.outputs ?? [];
    expect(outputs.length).toBeGreaterThan(0);
    let rows = 0;
    for (const key of outputs) rows += await parquetRowCount(world.objects, 'raw', key);
    expect(rows).toBe(record.rows?.accepted);
    expect((record.rows?.accepted ?? 0) + (record.rows?.rejected ?? 0)).toBe(record.rows?.total);
  } else {
    expect(['REQUESTED', 'RECEIVED', 'VALIDATING']).toContain(record.status);
    expect(record.outputs ?? []).toEqual([]);
    expect(record.rows).toBeUndefined();
    // Nothing pseudonymised exists for an upload whose outcome is not recorded: a crash here may be
    // followed by an outcome that never commits those objects (a withdrawal, a changed mapping).
    expect(await bucketDigest(world.objects, 'curated', pseudonymisedPrefix(TENANT))).toEqual({});
  }
}

/**
 * A table whose first write of the upload's outcome (ACCEPTED or PARTIALLY_ACCEPTED) is followed at once
 * by the company withdrawing the upload (through the world's own ports, as the API would).
 */
function withdrawingAtOutcome(world: World, inner: Table) {
  let withdrawn = false;
  const table = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      if (name !== 'put') return value.bind(target);
      return async (tableName: string, item: Record<string, unknown>, ...rest: unknown[]) => {
        const put = await value.call(target, tableName, item, ...rest);
        const outcome = item.status === 'ACCEPTED' || item.status === 'PARTIALLY_ACCEPTED';
        if (!withdrawn && tableName === 'uploads' && item.uploadId === UPLOAD && outcome) {
          withdrawn = true;
          await withdrawUpload(
            { ...world, settings: defaultSettings },
            { subject: 'user-1', roles: ['tenant'], tenantId: TENANT },
            UPLOAD,
          );
        }
        return put;
      };
    },
  });
  return { table, withdrawn: () => withdrawn };
}

describe('ingest under faults', () => {
  it('hands a throttled message back and the redelivery accepts every row once', async () => {
    // Prepare
    const reference = await referenceState();
    const world = newWorld();
    const { object } = await stage(world);
    const plan = new FaultPlan([{ port: 'table', method: 'get', fault: fault.throttle() }]);

    // Act
    const first = await deliver(world, object, plan);
    const afterFault = await recordOf(world);
    await deliver(world, object);

    // Assess
    expect(plan.fired.map((call) => call.method)).toEqual(['get']);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(afterFault.status).toBe('REQUESTED');
    expect(await visibleState(world)).toEqual(reference);
    expect(reference.status).toBe('PARTIALLY_ACCEPTED');
    expect(reference.rows).toEqual({ total: ROWS, accepted: ROWS - 1, rejected: 1 });
  });

  it('hands the message back on a 5xx writing raw Parquet, and the status still says it is being validated', async () => {
    // Prepare
    const reference = await referenceState();
    const world = newWorld();
    const { object } = await stage(world);
    const plan = new FaultPlan([
      {
        port: 'objects',
        method: 'put',
        when: (bucket) => bucket === 'raw',
        nth: 2,
        fault: fault.serverError(),
      },
    ]);

    // Act
    const first = await deliver(world, object, plan);
    const afterFault = await recordOf(world);
    await deliver(world, object);

    // Assess
    expect(plan.fired).toHaveLength(1);
    expect(first.batchItemFailures).toHaveLength(1);
    expect(afterFault.status).toBe('VALIDATING');
    await assertTruthful(world);
    expect(await visibleState(world)).toEqual(reference);
  });

  it('hands the message back when reading the landed file hangs until the invocation is cut off', async () => {
    // Prepare
    const reference = await referenceState();
    const world = newWorld();
    const { object } = await stage(world);
    const cutOff = new AbortController();
    const plan = new FaultPlan([
      { port: 'objects', method: 'getStream', fault: fault.timeout(cutOff.signal) },
    ]);

    // Act
    const pending = deliver(world, object, plan);
    while (plan.fired.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const whileHanging = await recordOf(world);
    cutOff.abort();
    const first = await pending;
    await deliver(world, object);

    // Assess
    expect(whileHanging.status).toBe('VALIDATING');
    expect(first.batchItemFailures).toHaveLength(1);
    expect(await visibleState(world)).toEqual(reference);
  });

  it('masks by reading raw back when the pass cannot (tenant key throttled), in the same delivery', async () => {
    // Prepare: masking in ingestion's pass reads the key once the file is accepted, before the record.
    const reference = await referenceState();
    const world = newWorld();
    const { object } = await stage(world);
    const plan = new FaultPlan([{ port: 'keys', method: 'get', fault: fault.throttle() }]);

    // Act
    const first = await deliver(world, object, plan);

    // Assess: the pass gave up, masking read the raw objects back, nothing was handed back.
    expect(plan.fired).toHaveLength(1);
    expect(first.batchItemFailures).toEqual([]);
    expect(plan.calls.some((c) => c.port === 'objects' && c.method === 'get' && c.args[0] === 'raw')).toBe(
      true,
    );
    expect(await visibleState(world)).toEqual(reference);
  });

  it('hands the message back when masking is throttled after the record, and the redelivery masks the accepted upload', async () => {
    // Prepare: masking rebuilds the facts from the curated objects after the outcome is recorded.
    const reference = await referenceState();
    const world = newWorld();
    const { object } = await stage(world);
    const plan = new FaultPlan([
      { port: 'objects', method: 'get', when: (bucket) => bucket === 'curated', fault: fault.throttle() },
    ]);

    // Act
    const first = await deliver(world, object, plan);
    const afterFault = await visibleState(world);
    await deliver(world, object);

    // Assess
    expect(first.batchItemFailures).toHaveLength(1);
    expect(plan.fired).toHaveLength(1);
    expect(afterFault.status).toBe('PARTIALLY_ACCEPTED');
    expect(afterFault.landing).toEqual([object.key]);
    expect(await visibleState(world)).toEqual(reference);
    expect(reference.curated.length).toBeGreaterThan(0);
  });

  it('leaves nothing of an upload withdrawn just as its outcome is recorded, and asks for no redelivery', async () => {
    // Prepare: the company withdraws the upload the moment ingestion records its outcome, before the
    // objects pseudonymised in the pass are put (the withdrawal finds none of them to delete).
    const world = newWorld();
    const { object } = await stage(world);
    const { table, withdrawn } = withdrawingAtOutcome(world, world.table);
    const handler = createIngestHandler(async () =>
      composeIngest({ ...world, table, settings: defaultSettings, tmpDir: tmpdir() }),
    );

    // Act
    const delivered = await handler({ Records: [sqsMessageFor(object, 'message-1')] }, context);

    // Assess: no pseudonymised object of it is left, and the delivery is done with
    const state = await visibleState(world);
    expect(withdrawn()).toBe(true);
    expect(state.status).toBe('WITHDRAWN');
    expect(state.curated).toEqual([]);
    expect(state.raw).toEqual({});
    expect(state.landing).toEqual([]);
    expect(delivered.batchItemFailures).toEqual([]);
  });

  it('deletes what a failed delivery put of a withdrawn upload when the message comes again', async () => {
    // Prepare: withdrawn at the outcome, and the put of the second period's pseudonymised object fails
    // (after the first was put), so masking never runs in that delivery
    const world = newWorld();
    const { object } = await stage(world);
    const plan = new FaultPlan([
      {
        port: 'objects',
        method: 'put',
        when: (bucket, key) => bucket === 'curated' && String(key).includes('period=2026-05'),
        fault: fault.throttle(),
      },
    ]);
    const faulty = faultyPorts(world, plan);
    const { table, withdrawn } = withdrawingAtOutcome(world, faulty.table);
    const compose = (ports: typeof faulty) =>
      createIngestHandler(async () =>
        composeIngest({ ...ports, settings: defaultSettings, clock: world.clock, tmpDir: tmpdir() }),
      );

    // Act
    const first = await compose({ ...faulty, table })(
      { Records: [sqsMessageFor(object, 'message-1')] },
      context,
    );
    const leftByTheFailure = (await visibleState(world)).curated;
    const again = await compose(faultyPorts(world, new FaultPlan()))(
      { Records: [sqsMessageFor(object, 'message-1')] },
      context,
    );

    // Assess
    expect(withdrawn()).toBe(true);
    expect(first.batchItemFailures).toHaveLength(1);
    expect(leftByTheFailure).toHaveLength(1);
    expect(again.batchItemFailures).toEqual([]);
    expect((await visibleState(world)).curated).toEqual([]);
  });

  it('ends in the uninterrupted state after a crash at any write, with nothing untrue visible meanwhile', async () => {
    // Prepare
    const reference = await referenceState();
    const rules: FaultRule[] = await crashPoints(
      async (plan) => {
        const world = newWorld();
        const { object } = await stage(world);
        await deliver(world, object, plan);
      },
      { after: true },
    );
    expect(rules.length).toBeGreaterThan(10);

    for (const rule of rules) {
      const world = newWorld();
      const { object } = await stage(world);
      const plan = new FaultPlan([rule]);

      // Act
      await deliver(world, object, plan);
      const crashed = plan.crashed;
      await assertTruthful(world);
      await deliver(world, object);
      await deliver(world, object);

      // Assess
      expect(crashed, describeRule(rule)).toBe(true);
      expect(await visibleState(world), describeRule(rule)).toEqual(reference);
    }
  });

  it('quarantines a file that differs from its request exactly once, whatever write a crash interrupts', async () => {
    // Prepare
    const declared = { sizeBytes: 12 };
    const referenceWorld = newWorld();
    const staged = await stage(referenceWorld, declared);
    await deliver(referenceWorld, staged.object);
    const reference = await visibleState(referenceWorld);
    const rules = await crashPoints(
      async (plan) => {
        const world = newWorld();
        await deliver(world, (await stage(world, declared)).object, plan);
      },
      { after: true },
    );

    for (const rule of rules) {
      const world = newWorld();
      const { object } = await stage(world, declared);

      // Act
      await deliver(world, object, new FaultPlan([rule]));
      const afterCrash = await recordOf(world);
      await deliver(world, object);

      // Assess
      expect(['REQUESTED', 'REJECTED'], describeRule(rule)).toContain(afterCrash.status);
      expect(await visibleState(world), describeRule(rule)).toEqual(reference);
    }
    expect(reference).toMatchObject({ status: 'REJECTED', reason: 'SIZE_MISMATCH', landing: [] });
    expect(reference.quarantine).toHaveLength(1);
  });

  it('shows an upload a crash left in VALIDATING as stuck until the redelivery finishes it', async () => {
    // Prepare
    const world = newWorld();
    await world.table.put(
      'tenants',
      tenantRecord(TENANT, { state: 'ACTIVE', contract: { start: '2024-04-01' } }),
    );
    const { object } = await stage(world);
    const plan = new FaultPlan([
      { port: 'objects', method: 'put', when: (bucket) => bucket === 'raw', fault: fault.crash() },
    ]);
    await deliver(world, object, plan);
    const later = new Date(world.clock().getTime() + STUCK_AFTER_MS + 1);

    // Act
    const stuck = await findStuckUploads(world, later);
    await deliver(world, object);
    const afterRedelivery = await findStuckUploads(world, later);

    // Assess
    expect(stuck).toEqual([
      expect.objectContaining({ tenantId: TENANT, uploadId: UPLOAD, phase: 'VALIDATING' }),
    ]);
    expect(afterRedelivery).toEqual([]);
  });

  it('reports a throttling error as the SDK would, so callers can classify it', async () => {
    // Prepare
    const world = newWorld();
    const plan = new FaultPlan([{ port: 'objects', method: 'head', fault: fault.throttle() }]);

    // Act
    const error = await faultyPorts(world, plan)
      .objects.head('landing', 'x')
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InjectedServiceError);
    expect(error).toMatchObject({
      name: 'SlowDown',
      $metadata: { httpStatusCode: 503 },
      $retryable: { throttling: true },
    });
  });
});
