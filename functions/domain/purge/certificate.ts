import { createHash } from 'node:crypto';
import { type Message, msg } from '../i18n.ts';
import { type ObjectStore, NotFoundError as PortNotFoundError, type Table } from '../ports/index.ts';
import { tenantIdSchema, tenantRecordSchema } from '../tenants/model.ts';
import * as z from '../zod.ts';
import { certificateKey, certificatesPrefix } from '../zones.ts';
import { CertificateNotFoundError } from './errors.ts';

const count = z.int().check(z.nonnegative());

export const bucketCountsSchema = z.strictObject({ objects: count, versions: count, deleteMarkers: count });
export type BucketCounts = z.infer<typeof bucketCountsSchema>;

const message = z.strictObject({
  ja: z.string().check(z.minLength(1)),
  en: z.string().check(z.minLength(1)),
});

/** A store that keeps something of the company after its purge: what it holds, why, and until when. */
export const retainedStoreSchema = z.strictObject({
  store: z.string(),
  holds: message,
  why: message,
  until: message,
});
export type RetainedStore = z.infer<typeof retainedStoreSchema>;
/** How certificates of schema 1 and 2 said it (English only). */
const retainedV2Schema = z.strictObject({ store: z.string(), reason: z.string() });

/**
 * A deletion certificate: evidence that every copy of a tenant's data is gone, except what `retained`
 * names with its reason. It holds ids, dates, counts and hashes only (no names, no keys of objects, no
 * personal data), so it can be kept for good under Object Lock. Certificates form one hash chain across
 * all tenants.
 */
export const deletionCertificateSchema = z.strictObject({
  /**
   * 1: the release was requested before the certificate; 2: after it (no `statisticsRelease`);
   * 3: user accounts disabled and verified, and `retained` says in both languages what each store
   * keeps, why and until when.
   */
  schemaVersion: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  certificateId: z.uuid(),
  /** Position in the platform-wide chain, from 1. */
  sequence: z.int().check(z.positive()),
  tenantId: tenantIdSchema,
  contract: z.strictObject({
    start: z.iso.date(),
    end: z.optional(z.iso.date()),
    retentionDaysAfterEnd: count,
    dueDate: z.optional(z.iso.date()),
  }),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  deleted: z.strictObject({
    /** Per bucket: distinct keys, object versions, delete markers. */
    buckets: z.record(z.string(), bucketCountsSchema),
    /** Per table: rows. */
    tables: z.record(z.string(), z.strictObject({ rows: count })),
    /** Pseudonymisation keys destroyed. */
    keys: count,
    totals: z.strictObject({
      objects: count,
      versions: count,
      deleteMarkers: count,
      rows: count,
      keys: count,
    }),
  }),
  verification: z.strictObject({
    checkedAt: z.iso.datetime(),
    prefixesListed: count,
    tablesQueried: z.array(z.string()),
    residue: z.strictObject({
      objectVersions: z.literal(0),
      rows: z.literal(0),
      keys: z.literal(0),
      /** The company's user accounts that could still sign in (schema 3). */
      users: z.optional(z.literal(0)),
    }),
    result: z.literal('ZERO_RESIDUE'),
  }),
  /** The company's user accounts, disabled by the purge (schema 3). */
  userAccounts: z.optional(z.strictObject({ disabled: count })),
  /** What is kept on purpose, and why (schema 1–2: English reason; 3: what, why and until when, ja and en). */
  retained: z.array(z.union([retainedV2Schema, retainedStoreSchema])),
  statisticsRelease: z.optional(
    z.strictObject({ requestedAt: z.iso.datetime(), releaseId: z.optional(z.string()) }),
  ),
  previousHash: z.nullable(z.string().check(z.regex(/^[0-9a-f]{64}$/))),
  /** SHA-256 (hex) of the canonical JSON of every other field. */
  hash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
});
export type DeletionCertificate = z.infer<typeof deletionCertificateSchema>;
export type UnsignedCertificate = Omit<DeletionCertificate, 'hash'>;

/** JSON with object keys sorted at every level, so a hash never depends on property order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) of the certificate without its `hash` field. */
export function certificateHash(certificate: UnsignedCertificate): string {
  const unsigned: Record<string, unknown> = { ...certificate };
  delete unsigned.hash;
  return createHash('sha256').update(canonicalJson(unsigned)).digest('hex');
}

export function sealCertificate(unsigned: UnsignedCertificate): DeletionCertificate {
  return deletionCertificateSchema.parse({ ...unsigned, hash: certificateHash(unsigned) });
}

export interface ChainProblem {
  readonly certificateId: string;
  readonly message: Message;
}

export interface ChainVerification {
  readonly valid: boolean;
  readonly problems: readonly ChainProblem[];
}

/**
 * Checks a run of certificates: each hash matches its content, sequences follow one another, and each
 * certificate names its predecessor's hash (the first of the chain names none).
 */
export function verifyCertificateChain(certificates: readonly DeletionCertificate[]): ChainVerification {
  const problems: ChainProblem[] = [];
  const ordered = [...certificates].sort((a, b) => a.sequence - b.sequence);
  let previous: DeletionCertificate | undefined;
  for (const certificate of ordered) {
    const id = certificate.certificateId;
    if (certificateHash(certificate) !== certificate.hash) {
      problems.push({
        certificateId: id,
        message: msg(
          `証明書 ${id} の内容がハッシュと一致しません（改ざんの可能性）。`,
          `Certificate ${id} does not match its hash: it was altered after it was issued.`,
        ),
      });
    }
    if (previous === undefined && certificate.sequence === 1 && certificate.previousHash !== null) {
      problems.push({
        certificateId: id,
        message: msg(
          `最初の証明書 ${id} が前の証明書を参照しています。`,
          `Certificate ${id} is the first of the chain but names a previous hash.`,
        ),
      });
    }
    if (previous !== undefined) {
      if (certificate.sequence !== previous.sequence + 1) {
        problems.push({
          certificateId: id,
          message: msg(
            `証明書 ${id} の連番 ${certificate.sequence} の前に欠番があります（直前は ${previous.sequence}）。`,
            `Certificate ${id} has sequence ${certificate.sequence} but the one before it has ${previous.sequence}: a certificate is missing or duplicated.`,
          ),
        });
      }
      if (certificate.previousHash !== previous.hash) {
        problems.push({
          certificateId: id,
          message: msg(
            `証明書 ${id} が参照する前のハッシュが、連番 ${previous.sequence} の証明書のハッシュと一致しません。`,
            `Certificate ${id} names a previous hash that is not the hash of certificate ${previous.sequence}: the chain is broken.`,
          ),
        });
      }
    }
    previous = certificate;
  }
  return { valid: problems.length === 0, problems };
}

/**
 * The head of the certificate chain lives in the tenants table under an id no tenant can have
 * (tenant ids start with a letter or digit), so a conditional put can advance it atomically.
 */
export const CERTIFICATE_CHAIN_HEAD_ID = '_purge-certificate-chain';

export const chainHeadSchema = z.object({
  tenantId: z.literal(CERTIFICATE_CHAIN_HEAD_ID),
  sequence: z.int().check(z.positive()),
  hash: z.string(),
  certificateId: z.string(),
  certificateTenantId: z.string(),
});
export type ChainHead = z.infer<typeof chainHeadSchema>;

export async function readChainHead(tables: Table): Promise<ChainHead | undefined> {
  const item = await tables.get('tenants', { tenantId: CERTIFICATE_CHAIN_HEAD_ID });
  return item === undefined ? undefined : chainHeadSchema.parse(item);
}

/** Advances the head to `certificate`; throws ConditionFailedError when another certificate got there first. */
export async function advanceChainHead(
  tables: Table,
  previous: ChainHead | undefined,
  certificate: DeletionCertificate,
): Promise<void> {
  const head: ChainHead = {
    tenantId: CERTIFICATE_CHAIN_HEAD_ID,
    sequence: certificate.sequence,
    hash: certificate.hash,
    certificateId: certificate.certificateId,
    certificateTenantId: certificate.tenantId,
  };
  await tables.put(
    'tenants',
    head,
    previous === undefined ? { ifAbsent: 'tenantId' } : { ifMatch: { hash: previous.hash } },
  );
}

export async function writeCertificate(
  objects: ObjectStore,
  certificate: DeletionCertificate,
): Promise<void> {
  await objects.put(
    'audit',
    certificateKey(certificate.tenantId, certificate.certificateId),
    `${JSON.stringify(certificate, null, 2)}\n`,
    { contentType: 'application/json' },
  );
}

async function readCertificate(objects: ObjectStore, key: string): Promise<DeletionCertificate | undefined> {
  try {
    return deletionCertificateSchema.parse(
      JSON.parse(new TextDecoder().decode(await objects.get('audit', key))),
    );
  } catch (error) {
    if (error instanceof PortNotFoundError) return undefined;
    throw error;
  }
}

/**
 * The tenant's deletion certificate: the one its record names, else the latest in the audit bucket.
 * Throws CertificateNotFoundError when there is none.
 */
export async function getCertificate(
  ports: { readonly objects: ObjectStore; readonly tables: Table },
  tenantId: string,
): Promise<DeletionCertificate> {
  const record = tenantRecordSchema.safeParse(await ports.tables.get('tenants', { tenantId }));
  const namedId = record.success ? record.data.purge?.certificateId : undefined;
  if (namedId !== undefined) {
    const named = await readCertificate(ports.objects, certificateKey(tenantId, namedId));
    if (named) return named;
  }
  let latest: DeletionCertificate | undefined;
  for await (const summary of ports.objects.list('audit', certificatesPrefix(tenantId))) {
    const candidate = await readCertificate(ports.objects, summary.key);
    if (candidate && (latest === undefined || candidate.sequence > latest.sequence)) latest = candidate;
  }
  if (!latest) throw new CertificateNotFoundError(tenantId);
  return latest;
}
