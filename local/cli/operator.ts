import { join } from 'node:path';

import type { Runtime } from '../../functions/adapters/runtime.ts';
import { msg } from '../../functions/domain/i18n.ts';
import { defaultSettings } from '../../functions/domain/settings.ts';
import { findStuckUploads, STUCK_AFTER_MS } from '../../functions/domain/uploads/stuck.ts';
import { type DeadLetter, readDeadLetters, redriveDeadLetters } from '../durable-queue.ts';
import { type CliContext, CliError, CliOutcomeError } from './context.ts';
import { renderTable } from './table.ts';

/**
 * The ports an operator's command reads directly (not through the API): the running local platform's
 * storage, or with --endpoint the deployed stage's tables and buckets under the operator's AWS credentials.
 */
export async function operatorRuntime(ctx: CliContext): Promise<Runtime> {
  // Loaded here, not with the CLI: the runtimes bring the AWS SDK's clients, which most commands
  // (they go through the API) never use.
  if (!ctx.local)
    return (await import('../../functions/adapters/runtime.ts')).createDeployedRuntime(ctx.io.env);
  const { createLocalRuntime } = await import('../../functions/adapters/local-runtime.ts');
  const info = await ctx.platformInfo();
  return createLocalRuntime({
    s3Endpoint: info.s3Url,
    dynamoEndpoint: info.dynamoUrl,
    dataDir: ctx.options.dataDir,
    settings: defaultSettings,
  });
}

/** The key of the object a queued S3 notification names (for the dead-letter table), if it is one. */
const notifiedKey = (letter: DeadLetter): string | undefined => {
  try {
    const records = (JSON.parse(letter.body) as { Records?: Array<{ s3?: { object?: { key?: string } } }> })
      .Records;
    return records?.[0]?.s3?.object?.key;
  } catch {
    return undefined;
  }
};

/**
 * `kura status --stuck`: unfinished uploads that stopped moving (domain/uploads/stuck.ts, as the deployed
 * upload watch reports them) and, locally, the dead-letter lists of the ingest and job queues;
 * `--redrive` puts the dead letters back in their queues (the running platform picks them up).
 */
export async function showStuck(
  ctx: CliContext,
  options: { readonly olderThan?: string; readonly redrive?: boolean },
): Promise<void> {
  const minutes = options.olderThan === undefined ? STUCK_AFTER_MS / 60_000 : Number(options.olderThan);
  if (!Number.isFinite(minutes) || minutes < 0) {
    throw new CliError(
      msg(
        '--older-than には 0 以上の分数を指定してください（例: --older-than 15）。',
        '--older-than takes a number of minutes, 0 or more (e.g. --older-than 15).',
      ),
      2,
    );
  }
  const ports = await operatorRuntime(ctx);
  const stuck = await findStuckUploads(ports, new Date(), minutes * 60_000);
  // The platform's queue modules load its functions: only this command needs them.
  const { INGEST_QUEUE_DIR } = await import('../dispatch.ts');
  const { JOB_QUEUE_DIR, jobKindOf } = await import('../jobs.ts');
  const queues = ctx.local
    ? {
        ingest: join(ctx.options.dataDir, ...INGEST_QUEUE_DIR),
        jobs: join(ctx.options.dataDir, ...JOB_QUEUE_DIR),
      }
    : undefined;
  const redriven = { ingest: 0, jobs: 0 };
  if (queues && options.redrive) {
    redriven.ingest = await redriveDeadLetters(queues.ingest);
    redriven.jobs = await redriveDeadLetters(queues.jobs);
  }
  const dead = queues
    ? { ingest: await readDeadLetters(queues.ingest), jobs: await readDeadLetters(queues.jobs) }
    : { ingest: [], jobs: [] };
  ctx.emit({ stuck, deadLetters: dead, redriven });

  ctx.say(
    stuck.length === 0
      ? ctx.t(msg('止まっているアップロードはありません。', 'No upload is stuck.'))
      : renderTable(
          ctx.lang === 'ja'
            ? ['会社', 'アップロード ID', '段階', '最終更新']
            : ['tenant', 'upload id', 'phase', 'last change'],
          stuck.map((s) => [s.tenantId, s.uploadId, s.phase, s.updatedAt]),
        ),
  );
  if (queues) {
    const letters = [
      ...dead.ingest.map((d) => [
        ctx.t(msg('取り込み', 'ingest')),
        notifiedKey(d),
        d.attempts,
        d.lastError,
        d.deadAt,
      ]),
      ...dead.jobs.map((d) => [jobKindOf(d), undefined, d.attempts, d.lastError, d.deadAt]),
    ];
    ctx.say(
      letters.length === 0
        ? ctx.t(msg('デッドレターはありません。', 'The dead-letter lists are empty.'))
        : `${ctx.t(msg('デッドレター（失敗を繰り返したメッセージ）:', 'Dead letters (messages that failed every delivery):'))}\n${renderTable(
            ctx.lang === 'ja'
              ? ['キュー', 'オブジェクト', '受信回数', '最後のエラー', '移動日時']
              : ['queue', 'object', 'receipts', 'last error', 'moved at'],
            letters,
          )}\n${ctx.t(msg('原因を取り除いてから kura status --stuck --redrive で再処理できます。', 'Fix the cause, then kura status --stuck --redrive delivers them again.'))}`,
    );
    if (options.redrive) {
      ctx.say(
        ctx.t(
          msg(
            `キューに戻しました: 取り込み ${redriven.ingest} 件、ジョブ ${redriven.jobs} 件。`,
            `Moved back to their queues: ${redriven.ingest} ingest, ${redriven.jobs} job message(s).`,
          ),
        ),
      );
    }
  } else {
    ctx.say(
      ctx.t(
        msg(
          'デプロイ環境のデッドレターは SQS キュー kura-<stage>-…IngestDeadLetters とジョブ用キューにあります（docs/OPERATIONS.md「止まったアップロード」）。',
          'Deployed, the dead letters are in the SQS queues …IngestDeadLetters and the job dead-letter queue (docs/OPERATIONS.md, "Stuck uploads").',
        ),
      ),
    );
  }
  if (stuck.length > 0 || dead.ingest.length > 0 || dead.jobs.length > 0) {
    throw new CliOutcomeError(
      msg(
        '止まっているアップロードまたはデッドレターがあります。',
        'Some uploads are stuck or messages dead-lettered.',
      ),
    );
  }
}

/** Registers nothing by itself: `status --stuck` is an option of `kura status` (uploads.ts). */
export type StuckOptions = Parameters<typeof showStuck>[1];
