import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Runtime } from '../functions/adapters/runtime.ts';
import { msg } from '../functions/domain/i18n.ts';
import { parseLandingKey, parseS3Notification } from '../functions/domain/ingest/index.ts';
import {
  FINAL_JOB_STATES,
  finishJob,
  JOBS_TABLE,
  jobRecordSchema,
  requestJob,
} from '../functions/domain/jobs/jobs.ts';
import { listPublishedReleases } from '../functions/domain/stats/service.ts';
import { UPLOADS_TABLE } from '../functions/domain/uploads/records.ts';
import type { Dispatcher } from './dispatch.ts';
import type { LocalJobStarter } from './jobs.ts';

/**
 * What the local platform does at every start before it serves anything, so that nothing a crash (or a
 * kill, or a full disk) interrupted stays interrupted:
 *
 * 1. Temporary files of the last run are removed (`<dataDir>/tmp`: decoded uploads, masking and
 *    statistics work folders; the platform runs with TMPDIR there).
 * 2. Every object still in the landing bucket is an upload not yet finished (ingest removes the object
 *    as its very last step): each one without a message in the ingest queue gets one, naming the object
 *    as the upload's claim names it, so ingest resumes where it stopped (claimed, validated, recorded,
 *    masked) and the upload reaches a final state. Messages the queue kept are delivered again as they are.
 * 3. A job left QUEUED or RUNNING without an invocation in the job queue (a data folder of a version
 *    without that queue, or a crash between the record and the invocation) is marked FAILED
 *    (`INTERRUPTED`): running it again blind could be wrong (a dry-run purge is not recorded as such),
 *    and a purge or release asked for again resumes or redoes its work.
 * 4. A data folder of a version before completion markers has releases (manifests) but none published.
 *    They are not listed again: they were built before the release audit and the disclosure rules of
 *    issue 15 (their quartiles and unprotected differences gave companies' values away), so serving them
 *    again would publish what the platform no longer publishes. Instead a new release is asked for at once,
 *    built and audited under today's rules from the same data, so the statistics come back.
 */
export interface ReconcileReport {
  readonly tempEntriesRemoved: number;
  readonly landedRedriven: number;
  readonly jobsInterrupted: number;
  /** Releases of an earlier version (a manifest, no completion marker) found with none published. */
  readonly legacyReleases: number;
  /** The release job asked for to replace them (none when there are none). */
  readonly migrationReleaseJob?: string;
}

export async function reconcileLocalPlatform(options: {
  readonly ports: Runtime;
  readonly tmpDir: string;
  readonly landingBucket: string;
  readonly dispatcher: Dispatcher;
  readonly jobs: LocalJobStarter;
}): Promise<ReconcileReport> {
  const { ports } = options;
  const tempEntriesRemoved = await emptyFolder(options.tmpDir);

  const queued = new Set<string>();
  for (const body of await options.dispatcher.pendingBodies()) {
    try {
      for (const object of parseS3Notification(body)) queued.add(object.key);
    } catch {
      // Not a notification: ingest drops it when it is delivered.
    }
  }
  let landedRedriven = 0;
  for await (const object of ports.objects.list('landing', 'landing/')) {
    if (queued.has(object.key)) continue;
    const sequencer = await claimedSequencer(ports, options.landingBucket, object.key);
    await options.dispatcher.send({
      Records: [
        {
          eventName: 'ObjectCreated:Post',
          eventTime: new Date().toISOString(),
          s3: {
            bucket: { name: options.landingBucket },
            object: { key: object.key, size: object.size, ...(sequencer ? { sequencer } : {}) },
          },
        },
      ],
    });
    landedRedriven++;
  }

  const waiting = new Set(await options.jobs.pendingJobIds());
  let jobsInterrupted = 0;
  let cursor: Record<string, unknown> | undefined;
  do {
    if (!ports.table.scan) break;
    const page = await ports.table.scan(JOBS_TABLE, { cursor, limit: 100 });
    for (const item of page.items) {
      const job = jobRecordSchema.safeParse(item);
      if (!job.success || FINAL_JOB_STATES.includes(job.data.state) || waiting.has(job.data.jobId)) continue;
      await finishJob(ports, job.data, {
        state: 'FAILED',
        code: 'INTERRUPTED',
        message: msg(
          'ローカル環境が処理の途中で停止しました。必要ならもう一度実行してください。',
          'The local platform stopped while this job ran. Start it again if it is still needed.',
        ),
      });
      jobsInterrupted++;
    }
    cursor = page.cursor;
  } while (cursor);
  let legacyReleases = 0;
  let migrationReleaseJob: string | undefined;
  if ((await listPublishedReleases(ports.objects)).length === 0) {
    for await (const object of ports.objects.list('stats', 'stats/release=')) {
      if (object.key.endsWith('/manifest.json')) legacyReleases++;
    }
    if (legacyReleases > 0) {
      const job = await requestJob(
        { table: ports.table, clock: ports.clock, newId: ports.newId, jobs: options.jobs },
        { kind: 'release', reason: 'data-folder-migration', actor: MIGRATION_ACTOR },
      );
      migrationReleaseJob = job.jobId;
    }
  }
  return {
    tempEntriesRemoved,
    landedRedriven,
    jobsInterrupted,
    legacyReleases,
    ...(migrationReleaseJob ? { migrationReleaseJob } : {}),
  };
}

/** Who asks for the release that replaces a data folder's releases of an earlier version. */
const MIGRATION_ACTOR = { subject: 'kura:local-migration', roles: [] as string[] };

/** Removes everything inside a folder (which stays); how many entries were removed. */
async function emptyFolder(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  for (const name of names) await rm(join(dir, name), { recursive: true, force: true });
  return names.length;
}

/**
 * The S3 sequencer the upload's claim names for this object, if it was claimed from it: a delivery of
 * the same object must carry the same identity, or ingest takes it for another object.
 */
async function claimedSequencer(ports: Runtime, bucket: string, key: string): Promise<string | undefined> {
  const address = parseLandingKey(key);
  if (!address) return undefined;
  const record = await ports.table.get(UPLOADS_TABLE, {
    tenantId: address.tenantId,
    uploadId: address.uploadId,
  });
  const claimed = typeof record?.processedObject === 'string' ? record.processedObject : undefined;
  const prefix = `s3://${bucket}/${key}#s:`;
  return claimed?.startsWith(prefix) ? claimed.slice(prefix.length) : undefined;
}
