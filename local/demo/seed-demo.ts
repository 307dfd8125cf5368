import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type Lang, type Message, msg, pick } from '../../functions/domain/i18n.ts';
import type { ReleaseManifest } from '../../functions/domain/stats/release.ts';
import { readReleaseManifest } from '../../functions/domain/stats/service.ts';
import type { UploadStatus } from '../../functions/domain/uploads/model.ts';
import {
  bytesDigest,
  type ConsentAttestation,
  KuraApiError,
  KuraClient,
  postToPresignedUrl,
  runJob,
  type UploadTicket,
} from '../client.ts';
import type { LocalPlatform } from '../platform.ts';
import { createProgress, type ProgressOptions } from '../progress.ts';
import { type DemoPlan, demoFileBytes } from '../synthetic/plan.ts';

import { DEMO_MARKER } from './marker.ts';

export { DEMO_MARKER } from './marker.ts';

/** The attestation every demo company gives for its employee data (fictional person). */
export const DEMO_CONSENT: ConsentAttestation = {
  obtained: true,
  method: 'employment_rules',
  obtainedAt: '2025-04-01',
  attestedBy: '人事部長（デモ）',
};

export interface DemoUploadOutcome {
  readonly tenantId: string;
  readonly dataset: string;
  readonly fileName: string;
  readonly uploadId: string;
  readonly status: UploadStatus;
  readonly rows?:
    | { readonly total: number; readonly accepted: number; readonly rejected: number }
    | undefined;
  /** Files made to be refused are expected to be; the demo fails when anything else is. */
  readonly expected: 'accepted' | 'rejected';
}

export interface DemoSummary {
  readonly tenants: readonly string[];
  readonly uploads: readonly DemoUploadOutcome[];
  readonly counts: {
    readonly accepted: number;
    readonly partiallyAccepted: number;
    readonly rejected: number;
    readonly other: number;
  };
  readonly release: ReleaseManifest;
  /** Everything came out as the plan meant: every good file (partly) accepted, the broken one rejected, a release published. */
  readonly ok: boolean;
}

export interface SeedDemoOptions {
  readonly plan: DemoPlan;
  /** Progress display (label, stream); the default draws on stderr. */
  readonly progress?: (options: ProgressOptions) => ReturnType<typeof createProgress>;
  /** Reports each phase as it starts. */
  readonly onPhase?: (phase: DemoPhase) => void;
  /** The language of the progress bars' labels. @default 'ja' */
  readonly lang?: Lang;
}

/** The phases of seeding the demo, in order. */
export type DemoPhase = 'tenants' | 'uploads' | 'ingest' | 'release';

/** What each phase does, as the person who started the platform reads it. */
export const DEMO_PHASES: Readonly<Record<DemoPhase, Message>> = {
  tenants: msg('会社を登録しています', 'Registering the companies'),
  uploads: msg('ファイルをアップロードしています', 'Uploading their files'),
  ingest: msg('取り込みと仮名加工を待っています', 'Waiting for ingestion and masking'),
  release: msg('統計を公表しています', 'Publishing the statistics'),
};

const REGISTERED = 'demo-register';

/** Whether this data folder already holds a completed demo. */
export async function demoSeeded(dataDir: string): Promise<boolean> {
  return access(join(dataDir, DEMO_MARKER)).then(
    () => true,
    () => false,
  );
}

/**
 * Seeds the demo as a user would: registers the companies through the admin API, sends every file
 * through the real presigned POST (with consent attestations), waits for ingestion and masking, then
 * builds a statistics release. Writes the marker when everything came out as planned.
 */
export async function seedDemo(platform: LocalPlatform, options: SeedDemoOptions): Promise<DemoSummary> {
  const progress = options.progress ?? createProgress;
  const admin = new KuraClient({
    endpoint: platform.apiUrl,
    token: await platform.token({ role: 'admin', subject: REGISTERED }),
  });

  options.onPhase?.('tenants');
  const tenants = options.plan.companies.map((c) => c.tenantId);
  for (const company of options.plan.companies) {
    try {
      await admin.call('POST', '/admin/tenants', {
        tenantId: company.tenantId,
        name: company.name,
        profile: company.profile,
        contract: { start: '2025-01-01' },
      });
    } catch (error) {
      // Registered by an earlier, interrupted seed: keep it.
      if (!(error instanceof KuraApiError && error.status === 409)) throw error;
    }
  }

  options.onPhase?.('uploads');
  const clients = new Map<string, KuraClient>();
  const clientFor = async (tenantId: string) => {
    let client = clients.get(tenantId);
    if (!client) {
      client = new KuraClient({
        endpoint: platform.apiUrl,
        token: await platform.token({ role: 'tenant', tenantId }),
      });
      clients.set(tenantId, client);
    }
    return client;
  };
  const sent: Array<Omit<DemoUploadOutcome, 'status' | 'rows'>> = [];
  const lang = options.lang ?? 'ja';
  const bar = progress({
    label: pick(msg('アップロード', 'upload'), lang),
    total: options.plan.files.length,
  });
  for (const [index, file] of options.plan.files.entries()) {
    const bytes = demoFileBytes(file);
    const client = await clientFor(file.tenantId);
    const ticket = (
      await client.call<UploadTicket>('POST', '/uploads', {
        dataset: file.dataset,
        fileName: file.fileName,
        contentType: 'text/csv',
        ...bytesDigest(bytes),
        ...(file.dataset === 'sales' ? {} : { consent: DEMO_CONSENT }),
      })
    ).body;
    await postToPresignedUrl(
      ticket,
      { fileName: file.fileName, contentType: 'text/csv', sizeBytes: bytes.length },
      Readable.from([bytes]),
    );
    sent.push({
      tenantId: file.tenantId,
      dataset: file.dataset,
      fileName: file.fileName,
      uploadId: ticket.uploadId,
      expected: file.broken ? 'rejected' : 'accepted',
    });
    bar.update(index + 1, `${file.tenantId} ${file.dataset}`);
  }
  bar.stop();

  options.onPhase?.('ingest');
  const uploads: DemoUploadOutcome[] = [];
  const ingestBar = progress({ label: pick(msg('取り込み', 'ingest'), lang), total: sent.length });
  for (const [index, upload] of sent.entries()) {
    const record = await waitForOutcome(await clientFor(upload.tenantId), upload.uploadId, platform);
    uploads.push({ ...upload, status: record.status, rows: record.rows });
    ingestBar.update(index + 1, `${upload.tenantId} ${upload.dataset} ${record.status}`);
  }
  ingestBar.stop();

  options.onPhase?.('release');
  const release = await buildDemoRelease(platform, admin);

  const count = (status: UploadStatus) => uploads.filter((u) => u.status === status).length;
  const counts = {
    accepted: count('ACCEPTED'),
    partiallyAccepted: count('PARTIALLY_ACCEPTED'),
    rejected: count('REJECTED'),
    other: uploads.length - count('ACCEPTED') - count('PARTIALLY_ACCEPTED') - count('REJECTED'),
  };
  const ok =
    uploads.every((u) =>
      u.expected === 'rejected'
        ? u.status === 'REJECTED'
        : u.status === 'ACCEPTED' || u.status === 'PARTIALLY_ACCEPTED',
    ) && release.statistics.length > 0;
  const summary: DemoSummary = { tenants, uploads, counts, release, ok };
  if (ok) {
    await writeFile(
      join(platform.dataDir, DEMO_MARKER),
      JSON.stringify({ releaseId: release.releaseId, tenants, counts }, null, 2),
    );
  }
  return summary;
}

const FINAL: readonly UploadStatus[] = ['ACCEPTED', 'PARTIALLY_ACCEPTED', 'REJECTED'];

/** The upload's final record: the platform's queue is drained first, then the API is asked. */
async function waitForOutcome(client: KuraClient, uploadId: string, platform: LocalPlatform) {
  for (let attempt = 0; ; attempt++) {
    await platform.settled();
    const record = await client.get<{ status: UploadStatus; rows?: DemoUploadOutcome['rows'] }>(
      `/uploads/${encodeURIComponent(uploadId)}`,
    );
    // A failed ingest leaves the upload RECEIVED or VALIDATING: report it as it is rather than wait forever.
    if (FINAL.includes(record.status) || attempt >= 50) return record;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

/**
 * A statistics release over every company that may contribute: a job started through the admin API
 * (`POST /admin/releases`, 202), run by the release function, then its manifest from the stats bucket.
 */
async function buildDemoRelease(platform: LocalPlatform, admin: KuraClient): Promise<ReleaseManifest> {
  const job = await runJob(
    admin,
    { path: '/admin/releases' },
    { pollMs: 100, between: () => platform.settled() },
  );
  return readReleaseManifest(platform.ports.objects, String(job.result?.releaseId));
}
