/** What a certified purge leaves: its deletion certificate (before sealing into the chain) and the tenant's tombstone. */
import type { PlatformSettings } from '../settings.ts';
import type { TenantRecord } from '../tenants/model.ts';
import { purgeDueDate, retentionDaysAfterEnd } from '../tenants/rules.ts';
import { type DeletionCertificate, sealCertificate } from './certificate.ts';
import { countsDelta, type PurgeCheckpoint } from './checkpoint.ts';
import { countsKey, type PurgeLocation } from './locations.ts';
import type { PurgeActor, PurgePorts } from './ports.ts';
import { retainedAfterPurge } from './retained.ts';

/** What the certificate says of a purge that verified zero residue. */
export interface CertifiedPurge {
  readonly tenant: TenantRecord;
  readonly checkpoint: PurgeCheckpoint;
  readonly settings: PlatformSettings;
  /** Every location the purge deleted under (each gets a count, zero when nothing was there). */
  readonly locations: readonly PurgeLocation[];
  readonly startedAt: string;
  readonly finishedAt: string;
}

/** The certificate of a purge, sealed (hashed) on top of `previousHash`. */
export function buildCertificate(
  purge: CertifiedPurge,
  certificateId: string,
  sequence: number,
  previousHash: string | null,
): DeletionCertificate {
  const { checkpoint, settings } = purge;
  const { contract } = purge.tenant;
  const buckets = Object.fromEntries(
    Object.entries(checkpoint.buckets).sort(([a], [b]) => a.localeCompare(b)),
  );
  for (const location of purge.locations) {
    buckets[countsKey(location)] ??= countsDelta();
  }
  const bucketTotals = Object.values(buckets).reduce(
    (sum, counts) => ({
      objects: sum.objects + counts.objects,
      versions: sum.versions + counts.versions,
      deleteMarkers: sum.deleteMarkers + counts.deleteMarkers,
    }),
    countsDelta(),
  );
  const rows = Object.values(checkpoint.tables).reduce((sum, table) => sum + table.rows, 0);
  const { usersDisabled = 0, ...verification } = checkpoint.verification ?? {
    checkedAt: purge.finishedAt,
    prefixesListed: 0,
    tablesQueried: [],
  };
  return sealCertificate({
    schemaVersion: 3,
    certificateId,
    sequence,
    tenantId: purge.tenant.tenantId,
    contract: {
      start: contract.start,
      end: contract.end,
      retentionDaysAfterEnd: retentionDaysAfterEnd(contract, settings),
      dueDate: purgeDueDate(contract, settings),
    },
    startedAt: purge.startedAt,
    finishedAt: purge.finishedAt,
    deleted: {
      buckets,
      tables: checkpoint.tables,
      keys: checkpoint.keys,
      totals: { ...bucketTotals, rows, keys: checkpoint.keys },
    },
    verification: {
      ...verification,
      residue: { objectVersions: 0, rows: 0, keys: 0, users: 0 },
      result: 'ZERO_RESIDUE',
    },
    userAccounts: { disabled: usersDisabled },
    retained: retainedAfterPurge(settings),
    previousHash,
  });
}

/**
 * The tenant record once its purge is certified: a tombstone without personal data (the name becomes the
 * id), pointing at the certificate, pending a release without the tenant.
 */
export function tombstoneOf(tenant: TenantRecord, certificate: DeletionCertificate): TenantRecord {
  return {
    tenantId: tenant.tenantId,
    name: tenant.tenantId,
    profile: tenant.profile,
    contract: tenant.contract,
    state: 'PURGED',
    legalHold: false,
    createdAt: tenant.createdAt,
    updatedAt: certificate.finishedAt,
    purge: {
      startedAt: certificate.startedAt,
      finishedAt: certificate.finishedAt,
      certificateId: certificate.certificateId,
    },
    releasePending: true,
  };
}

/**
 * Appends `purge.certified` exactly once, even when a run dies right after the append: the checkpoint
 * names the certificate before the append, and a resumed run finds the entry in the ledger instead.
 */
export async function recordCertification(
  ports: Pick<PurgePorts, 'ledger'>,
  certificate: DeletionCertificate,
  run: {
    readonly checkpoint: PurgeCheckpoint;
    readonly actor: PurgeActor;
    readonly saveCheckpoint: () => Promise<void>;
  },
): Promise<void> {
  const { checkpoint } = run;
  if (checkpoint.ledgerAppendFor === certificate.certificateId) {
    const recorded = await ports.ledger.hasCertification(certificate.tenantId, certificate.certificateId);
    if (recorded) return;
  } else {
    checkpoint.ledgerAppendFor = certificate.certificateId;
    await run.saveCheckpoint();
  }
  await ports.ledger.append({
    type: 'purge.certified',
    tenantId: certificate.tenantId,
    actor: run.actor,
    at: certificate.finishedAt,
    detail: {
      certificateId: certificate.certificateId,
      sequence: certificate.sequence,
      hash: certificate.hash,
    },
  });
}
