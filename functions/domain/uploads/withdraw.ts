/**
 * Withdrawing an upload a company sent by mistake: the record says WITHDRAWN (from then on nothing
 * counts it: supersession.ts), every version of its raw, pseudonymised and derived objects is deleted
 * (the landing object, raw Parquet, the row-error report, pseudonymised objects, support exports made
 * from it), what was deleted is checked and recorded in the ledger (ids and counts only), and the
 * company's facts are rebuilt without it, so the next release no longer uses it, and their former
 * versions, which held its figures, are deleted. An earlier upload it
 * had superseded is in force again. Withdrawing again finishes what a crash left undone.
 */

import { actorOf, type Principal, tenantOf } from '../auth/principal.ts';
import { ConflictError, ServiceUnavailableError } from '../errors.ts';
import { msg } from '../i18n.ts';
import { appendLedger, entryRef } from '../ledger/ledger.ts';
import { FactsKeptChangingError, FactsVersionsLeftError } from '../masking/errors.ts';
import { buildTenantFacts, removeTenantFacts } from '../masking/facts.ts';
import { renewFactsGeneration } from '../masking/facts-generation.ts';
import { ConditionFailedError, type KeyStore, type ObjectStore, type Table } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import {
  landingPrefix,
  pseudonymisedPrefix,
  REPLICATED_BUCKETS,
  rawPrefix,
  reportKey,
  supportExportTenantPrefix,
} from '../zones.ts';
import type { UploadRecord } from './model.ts';
import { readTenantUpload } from './records.ts';
import { updateUploadRecord } from './supersession.ts';

export interface WithdrawPorts {
  readonly objects: ObjectStore;
  readonly table: Table;
  readonly keys: KeyStore;
  readonly settings?: PlatformSettings;
  readonly clock: () => Date;
  /**
   * Where the withdrawal's deletion and facts rebuild run once the record says WITHDRAWN. Deployed, the
   * mask function (it holds DuckDB and the grants to delete an upload's versions; the API's role may not
   * delete tenant data); absent (local platform, tests), here.
   */
  readonly withdrawals?: WithdrawalFinisher | undefined;
  /** The disaster-recovery copies of the replicated buckets, where the stage has them (deployed prod). */
  readonly replica?: { readonly objects: ObjectStore } | undefined;
}

/** What the finishing half of a withdrawal needs: whose upload, and who withdrew it (for the ledger). */
export interface WithdrawalRequest {
  readonly tenantId: string;
  readonly uploadId: string;
  readonly actor: { readonly subject: string; readonly roles: readonly string[] };
}

/** Runs {@link finishWithdrawal} where the grants are (a port: the deployed adapter invokes the mask function). */
export interface WithdrawalFinisher {
  finish(request: WithdrawalRequest): Promise<WithdrawalResult>;
}

/** Statuses an upload can be withdrawn from: not while a file is being read. */
const WITHDRAWABLE = new Set(['REQUESTED', 'ACCEPTED', 'PARTIALLY_ACCEPTED', 'REJECTED', 'WITHDRAWN']);

/** What a withdrawal removed, per store: object versions (and delete markers) deleted. */
export interface WithdrawalResult {
  readonly uploadId: string;
  readonly status: 'WITHDRAWN';
  readonly withdrawnAt: string;
  readonly deleted: Readonly<Record<string, number>>;
  /** The ledger entry that records it (`<chain>/<seq>`). */
  readonly ledgerRef: string;
}

/** The places an upload's data can be: bucket, prefix to list, and which keys under it are the upload's. */
function uploadLocations(record: UploadRecord) {
  const { tenantId, uploadId, dataset } = record;
  const own = (key: string) => key.endsWith(`/${uploadId}.parquet`);
  return [
    {
      store: 'landing',
      bucket: 'landing',
      prefix: `${landingPrefix(tenantId)}${dataset}/${uploadId}/`,
      mine: () => true,
    },
    { store: 'raw', bucket: 'raw', prefix: `${rawPrefix(tenantId)}dataset=${dataset}/`, mine: own },
    {
      store: 'report',
      bucket: 'raw',
      prefix: reportKey(tenantId, uploadId),
      mine: (key: string) => key === reportKey(tenantId, uploadId),
    },
    {
      store: 'pseudonymised',
      bucket: 'curated',
      prefix: `${pseudonymisedPrefix(tenantId)}dataset=${dataset}/`,
      mine: own,
    },
    {
      store: 'support-exports',
      bucket: 'raw',
      prefix: supportExportTenantPrefix(tenantId),
      mine: (key: string) => key.includes(`-${uploadId}-`),
    },
  ] as const;
}

/**
 * The record already says WITHDRAWN (nothing counts the upload), but deleting its data has not finished:
 * some versions could not be deleted or are still there (`left`), another run is finishing it, or the
 * run that should have failed (deployed: the mask function). Withdrawing again finishes it (503).
 */
export class WithdrawalIncompleteError extends ServiceUnavailableError {
  override readonly name = 'WithdrawalIncompleteError';
  override readonly code = 'WITHDRAWAL_INCOMPLETE';
  constructor(uploadId: string, left?: { readonly store: string; readonly count: number }) {
    super(
      left
        ? msg(
            `アップロード ${uploadId} は取り下げ済みですが、${left.store} のデータ ${left.count} 件をまだ削除できていません。しばらくしてからもう一度取り下げてください（続きから削除します）。`,
            `Upload ${uploadId} is withdrawn, but ${left.count} stored version(s) in ${left.store} could not be deleted yet. Withdraw it again in a moment to finish the deletion.`,
          )
        : msg(
            `アップロード ${uploadId} は取り下げ済みですが、データの削除がまだ終わっていません。しばらくしてからもう一度取り下げてください（続きから削除します）。`,
            `Upload ${uploadId} is withdrawn, but deleting its data has not finished yet. Withdraw it again in a moment to finish the deletion.`,
          ),
      'uploadId',
    );
  }
}

/**
 * Deletes every version and delete marker of the upload's objects, in the primary buckets and, where
 * the stage has a disaster-recovery region, in the copies of the replicated buckets (S3 replicates new
 * versions, never the deletion of one); checks none is left. Returns the counts per store
 * (`pseudonymised-replica` for the DR copy).
 */
async function deleteUploadData(
  objects: ObjectStore,
  record: UploadRecord,
  replica: ObjectStore | undefined,
): Promise<Record<string, number>> {
  const places = uploadLocations(record).flatMap((location) => [
    { ...location, objects },
    ...(replica && (REPLICATED_BUCKETS as readonly string[]).includes(location.bucket)
      ? [{ ...location, store: `${location.store}-replica`, objects: replica }]
      : []),
  ]);
  const deleted: Record<string, number> = {};
  for (const place of places) {
    const refs = [];
    for await (const version of place.objects.listVersions(place.bucket, place.prefix)) {
      if (place.mine(version.key)) refs.push({ key: version.key, versionId: version.versionId });
    }
    for (let i = 0; i < refs.length; i += 1_000) {
      const { failed } = await place.objects.deleteMany(place.bucket, refs.slice(i, i + 1_000));
      if (failed.length > 0)
        throw new WithdrawalIncompleteError(record.uploadId, { store: place.store, count: failed.length });
    }
    deleted[place.store] = refs.length;
  }
  // Nothing of it may be left, in any version.
  for (const place of places) {
    let left = 0;
    for await (const version of place.objects.listVersions(place.bucket, place.prefix)) {
      if (place.mine(version.key)) left += 1;
    }
    if (left > 0) throw new WithdrawalIncompleteError(record.uploadId, { store: place.store, count: left });
  }
  return deleted;
}

const stillProcessing = (uploadId: string) =>
  new ConflictError(
    msg(
      `アップロード ${uploadId} は処理中のため、まだ取り下げられません。受理または不受理になってから取り下げてください。`,
      `Upload ${uploadId} is being processed and cannot be withdrawn yet: withdraw it once it is accepted or rejected.`,
    ),
    'uploadId',
  );

/**
 * Withdraws one of the caller's uploads. NotFoundError for another tenant's (or no) upload;
 * ConflictError while its file is being read (RECEIVED, VALIDATING).
 */
export async function withdrawUpload(
  ports: WithdrawPorts,
  principal: Principal,
  uploadId: string,
): Promise<WithdrawalResult> {
  const tenantId = tenantOf(principal);
  let record = await readTenantUpload(ports.table, tenantId, uploadId);
  if (!WITHDRAWABLE.has(record.status)) throw stillProcessing(uploadId);
  if (record.status !== 'WITHDRAWN') {
    // The commit point: from here on the upload counts nowhere, and masking can no longer commit it.
    try {
      record = await updateUploadRecord(ports.table, ports.clock(), record, {
        status: 'WITHDRAWN',
        withdrawnAt: ports.clock().toISOString(),
        withdrawnBy: principal.subject,
        // Row errors quote cells of the file; they go with it.
        errors: undefined,
        errorsTruncated: undefined,
        maskedOutputs: undefined,
        supersededBy: undefined,
      });
    } catch (error) {
      // Claimed by ingest, or masked, in the meantime: the caller may try again.
      if (error instanceof ConditionFailedError) throw stillProcessing(uploadId);
      throw error;
    }
  }
  // Finished already: the same answer, without deleting or rebuilding anything again.
  if (record.withdrawalRef !== undefined) return finishedResult(record, record.withdrawalRef);
  // Being finished by another run: answer at once (503, withdraw again later) instead of starting one more.
  if (claimHeld(record, ports.clock())) throw new WithdrawalIncompleteError(uploadId);
  const actor = actorOf(principal);
  const request = { tenantId, uploadId, actor: { subject: actor.subject, roles: [...actor.roles] } };
  return ports.withdrawals ? ports.withdrawals.finish(request) : finishWithdrawal(ports, request);
}

/** How long a run finishing a withdrawal holds it (the mask function's 10-minute timeout, and margin). */
export const WITHDRAWAL_CLAIM_MS = 15 * 60 * 1000;

const claimHeld = (record: UploadRecord, now: Date) =>
  record.withdrawalClaimedAt !== undefined &&
  now.getTime() - Date.parse(record.withdrawalClaimedAt) < WITHDRAWAL_CLAIM_MS;

const finishedResult = (record: UploadRecord, ledgerRef: string): WithdrawalResult => ({
  uploadId: record.uploadId,
  status: 'WITHDRAWN',
  withdrawnAt: record.withdrawnAt ?? record.updatedAt,
  deleted: { ...(record.withdrawalDeleted ?? {}) },
  ledgerRef,
});

/**
 * The second half of a withdrawal, after the record says WITHDRAWN: deletes every version of the
 * upload's objects and checks none is left, rebuilds the company's facts without it, and records it in
 * the ledger (once). Run again, it finishes what a crash left undone.
 * @throws ConflictError when the upload is not withdrawn (nothing is deleted)
 */
export async function finishWithdrawal(
  ports: Omit<WithdrawPorts, 'withdrawals'>,
  request: WithdrawalRequest,
): Promise<WithdrawalResult> {
  const { tenantId, uploadId } = request;
  let record = await readTenantUpload(ports.table, tenantId, uploadId);
  if (record.status !== 'WITHDRAWN') {
    throw new ConflictError(
      msg(
        `アップロード ${uploadId} は取り下げられていないため、データを削除しません。`,
        `Upload ${uploadId} is not withdrawn, so its data is not deleted.`,
      ),
      'uploadId',
    );
  }
  if (record.withdrawalRef !== undefined) return finishedResult(record, record.withdrawalRef);
  // One run at a time: the claim is a conditional write; a run that loses it, or finds it held, stops.
  if (claimHeld(record, ports.clock())) throw new WithdrawalIncompleteError(uploadId);
  try {
    record = await updateUploadRecord(ports.table, ports.clock(), record, {
      withdrawalClaimedAt: ports.clock().toISOString(),
    });
  } catch (error) {
    if (error instanceof ConditionFailedError) throw new WithdrawalIncompleteError(uploadId);
    throw error;
  }
  try {
    return await deleteRebuildRecord(ports, request, record);
  } catch (error) {
    // The next withdrawal may try at once: the claim goes with a failed run (a killed run keeps it
    // until WITHDRAWAL_CLAIM_MS has passed).
    await updateUploadRecord(ports.table, ports.clock(), record, { withdrawalClaimedAt: undefined }).catch(
      () => undefined,
    );
    // The company's other uploads kept changing while its facts were rebuilt: withdrawing again
    // finishes it (its data is already deleted).
    if (error instanceof FactsKeptChangingError) throw new WithdrawalIncompleteError(uploadId);
    if (error instanceof FactsVersionsLeftError)
      throw new WithdrawalIncompleteError(uploadId, { store: error.store, count: error.count });
    throw error;
  }
}

/** The claimed run's work: delete and verify, rebuild the facts, record it in the ledger, then the record. */
async function deleteRebuildRecord(
  ports: Omit<WithdrawPorts, 'withdrawals'>,
  request: WithdrawalRequest,
  claimed: UploadRecord,
): Promise<WithdrawalResult> {
  const { tenantId, uploadId } = request;
  let record = claimed;
  // The company's facts go first: they still hold the upload's figures until they are rebuilt without
  // it (below), and a run that fails on the way must leave the company out of any release that runs
  // meanwhile, not in it with the withdrawn data (a release pools only companies that have facts).
  // A new generation first: facts a rebuild still writes from records read before the commit no
  // longer count for any release, even if that rebuild dies before it sees the withdrawal.
  await renewFactsGeneration(ports.objects, tenantId);
  const factsLeft = await removeTenantFacts(ports.objects, tenantId);
  if (factsLeft > 0) throw new WithdrawalIncompleteError(uploadId, { store: 'facts', count: factsLeft });
  const deleted = await deleteUploadData(ports.objects, record, ports.replica?.objects);
  // Facts (and the records' supersededBy) rebuilt from the uploads still in force; the rebuild deletes
  // their former versions, which still held the upload's figures.
  const facts = await buildTenantFacts(ports, tenantId);
  Object.assign(deleted, facts.formerVersionsDeleted);
  let ledgerRef = record.withdrawalRef;
  if (ledgerRef === undefined) {
    const entry = await appendLedger(ports, {
      action: 'upload.withdrawn',
      actor: { subject: request.actor.subject, roles: [...request.actor.roles] },
      tenantId,
      details: {
        uploadId,
        dataset: record.dataset,
        ...Object.fromEntries(Object.entries(deleted).map(([k, v]) => [`deleted_${k}`, v])),
      },
    });
    ledgerRef = entryRef(entry);
    record = await updateUploadRecord(ports.table, ports.clock(), record, {
      withdrawalRef: ledgerRef,
      withdrawalDeleted: deleted,
      withdrawalClaimedAt: undefined,
    });
  }
  return {
    uploadId,
    status: 'WITHDRAWN',
    withdrawnAt: record.withdrawnAt ?? ports.clock().toISOString(),
    deleted,
    ledgerRef,
  };
}
