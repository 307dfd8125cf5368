/**
 * A file that lands for a company that may not send data (no contract running, or its purge started) is
 * deleted unread, every version, and recorded by hash.
 */
import type { KuraError } from '../errors.ts';
import { appendLedger } from '../ledger/ledger.ts';
import type { ObjectHead } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';
import type { TenantRecord } from '../tenants/model.ts';
import { japanDay, purgeStarted } from '../tenants/rules.ts';
import type { RejectionReason } from './errors.ts';
import type { IngestResult } from './ingest-result.ts';
import type { LandingAddress } from './landing.ts';
import type { LandedObject } from './notification.ts';
import type { IngestLogger, IngestPorts } from './ports.ts';
import { objectSha256 } from './quarantine.ts';
import {
  LANDING,
  now,
  objectIdentity,
  readRecord,
  TERMINAL,
  transitionRecord,
  versionsOf,
} from './upload-steps.ts';

/** Why a file of a company that may not send data is not taken, for the upload record and the ledger. */
function discardReason(refusal: KuraError, landedDay: string): RejectionReason {
  switch (refusal.code) {
    case 'TENANT_PURGED':
      return {
        code: 'TENANT_PURGED',
        ja: '会社のデータは契約終了により削除中または削除済みのため、届いたファイルは受け付けずに削除しました。',
        en: "The company's data is being or has been deleted after its contract ended, so the file was deleted unread.",
      };
    case 'TENANT_NOT_REGISTERED':
      return {
        code: 'TENANT_NOT_REGISTERED',
        ja: 'Kura に登録されていない会社宛てのファイルのため、受け付けずに削除しました。',
        en: 'The file was sent for a company not registered with Kura, so it was deleted unread.',
      };
    default:
      return {
        code: 'CONTRACT_NOT_RUNNING',
        ja: `ファイルが届いた日（日本時間 ${landedDay}）に会社の契約が有効ではなかったため、受け付けずに削除しました。`,
        en: `The company's contract was not running on the day the file arrived (${landedDay}, Japan time), so it was deleted unread.`,
      };
  }
}

/**
 * A file that arrived for a company that may not send data: its contract was not running on the Japanese
 * day the file landed, its purge has started (a ticket issued before the purge, a late delivery), or it
 * is unknown. The file is deleted whole (every version of its key) and never quarantined: a quarantine
 * record under quarantine/<tenant>/ would outlive the company's purge and make its certificate untrue.
 * While the company's records are still held (its purge has not started) the upload is marked REJECTED;
 * the ledger records the arrival by hash only: upload id, dataset, size, SHA-256, the reason's code.
 */
export async function discardArrival(
  ports: IngestPorts,
  settings: PlatformSettings,
  log: IngestLogger,
  object: LandedObject,
  head: ObjectHead,
  address: LandingAddress,
  tenant: TenantRecord | undefined,
  refusal: KuraError,
  landedAt: Date,
): Promise<IngestResult> {
  const reason = discardReason(refusal, japanDay(landedAt));
  const sha256 = await objectSha256(ports, head, settings.limits.maxFileBytes);
  const refs = await versionsOf(ports, object.key);
  if (object.versionId && !refs.some((ref) => ref.versionId === object.versionId))
    refs.push({ key: object.key, versionId: object.versionId });
  const { failed } = await ports.objects.deleteMany(LANDING, refs);
  if (failed.length > 0)
    throw new Error(`Could not delete ${failed.length} version(s) of a discarded landing object`);
  if (tenant && !purgeStarted(tenant)) {
    const record = await readRecord(ports, address.tenantId, address.uploadId);
    if (record && !TERMINAL.includes(record.status) && record.status !== 'WITHDRAWN') {
      await transitionRecord(ports, record, {
        status: 'REJECTED',
        reason,
        processedObject: objectIdentity(object),
      });
    }
  }
  await appendLedger(
    { table: ports.table, clock: () => now(ports) },
    {
      action: 'upload.discarded',
      actor: { subject: 'kura:landing', roles: [] },
      // An unknown company has no chain of its own: the platform chain records it, naming the id.
      ...(tenant ? { tenantId: tenant.tenantId } : {}),
      details: {
        ...(tenant ? {} : { landingTenantId: address.tenantId }),
        uploadId: address.uploadId,
        dataset: address.dataset,
        sizeBytes: head.size,
        sha256: sha256 ?? null,
        reason: reason.code,
        tenantState: tenant?.state ?? null,
        landedAt: landedAt.toISOString(),
        versionsDeleted: refs.length,
      },
    },
  );
  log.warn('Landed file discarded', {
    code: reason.code,
    tenantId: address.tenantId,
    uploadId: address.uploadId,
    tenantState: tenant?.state,
  });
  return { kind: 'discarded', reason };
}
