import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { PROFILE_NAMES } from '../../functions/domain/catalog/profiles.ts';
import { TIME_FORMATS } from '../../functions/domain/catalog/schema.ts';
import { msg } from '../../functions/domain/i18n.ts';
import { XLSX_CONTENT_TYPE } from '../../functions/domain/uploads/content-type.ts';
import {
  type ConsentAttestation,
  countingTransform,
  fileDigest,
  KuraApiError,
  type KuraClient,
  postToPresignedUrl,
  type UploadTicket,
} from '../client.ts';
import { createPhaseProgress, createProgress } from '../progress.ts';
import { wholeNumber } from './arguments.ts';
import { type CliContext, CliError } from './context.ts';
import { type StuckOptions, showStuck } from './operator.ts';
import { renderTable } from './table.ts';
import {
  COUNTING,
  describeUpload,
  FINAL,
  inForceWord,
  outcomeError,
  STATUS_TEXT,
  type UploadView,
} from './upload-view.ts';

async function waitForOutcome(
  client: KuraClient,
  uploadId: string,
  timeoutSeconds: number,
  onStatus?: (upload: UploadView) => void,
): Promise<UploadView> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const upload = await client.get<UploadView>(`/uploads/${encodeURIComponent(uploadId)}`);
    onStatus?.(upload);
    // An accepted upload counts once its pseudonymisation completes: wait for that too.
    const settled =
      FINAL.includes(upload.status) && (!COUNTING.includes(upload.status) || upload.maskedAt !== undefined);
    if (settled || Date.now() > deadline) return upload;
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  }
}

const CONSENT_METHODS = ['written', 'electronic', 'employment_rules', 'other'] as const;

function consentFrom(options: {
  consentMethod?: string;
  consentDate?: string;
  attestedBy?: string;
}): ConsentAttestation | undefined {
  const given = [options.consentMethod, options.consentDate, options.attestedBy].filter(
    (v) => v !== undefined,
  );
  if (given.length === 0) return undefined;
  if (given.length < 3) {
    throw new CliError(
      msg(
        '同意の記録には --consent-method、--consent-date、--attested-by の 3 つすべてが必要です。',
        'A consent attestation needs all three: --consent-method, --consent-date and --attested-by.',
      ),
      2,
    );
  }
  const method = CONSENT_METHODS.find((m) => m === options.consentMethod);
  if (!method) {
    throw new CliError(
      msg(
        `--consent-method は ${CONSENT_METHODS.join('、')} のいずれかです。`,
        `--consent-method must be one of ${CONSENT_METHODS.join(', ')}.`,
      ),
      2,
    );
  }
  return {
    obtained: true,
    method,
    obtainedAt: options.consentDate ?? '',
    attestedBy: options.attestedBy ?? '',
  };
}

/**
 * The API's refusal of an upload without the consent its dataset needs (the rule: domain/uploads/consent.ts),
 * said in the CLI's terms: its three options rather than the API's JSON fields.
 */
function consentMissing(error: unknown, dataset: string): CliError | undefined {
  const field = (error instanceof KuraApiError ? (error.body as { error?: { field?: unknown } }) : undefined)
    ?.error?.field;
  if (field !== 'consent') return undefined;
  return new CliError(
    msg(
      `データセット ${dataset} は従業員の個人データを含むため、同意の記録が必要です。--consent-method（${CONSENT_METHODS.join(' / ')}）、--consent-date（同意を得た日、例: 2026-04-01）、--attested-by（確認した人、例: 人事部長）の 3 つを付けてください。`,
      `Dataset ${dataset} holds personal data about employees, so it needs a consent attestation: add --consent-method (${CONSENT_METHODS.join(', ')}), --consent-date (the day consent was obtained, e.g. 2026-04-01) and --attested-by (who attests, e.g. 人事部長).`,
    ),
    1,
  );
}

/** `kura upload` and `kura status`. */
export function registerUploadCommands(program: Command, context: () => CliContext): void {
  registerUpload(program, context);
  registerWithdraw(program, context);
  registerStatus(program, context);
}

/** `kura upload <file>`. */
function registerUpload(program: Command, context: () => CliContext): void {
  program
    .command('upload')
    .description('upload a CSV file and wait for its outcome / CSV をアップロードして結果を待つ')
    .argument('<file>', 'CSV file / CSV ファイル')
    .requiredOption(
      '--dataset <name>',
      'dataset, e.g. employees, attendance, payroll, organization, sales / データセット',
    )
    .option('--consent-method <method>', `consent method: ${CONSENT_METHODS.join(' | ')} / 同意の取得方法`)
    .option('--consent-date <date>', 'date consent was obtained (YYYY-MM-DD) / 同意取得日')
    .option('--attested-by <who>', 'who attests the consent / 同意を証明する人')
    .option(
      '--content-type <type>',
      'content type (default: from the file name: .xlsx → Excel, else text/csv) / Content-Type',
    )
    .option('--sheet <name>', 'the sheet of an .xlsx to read (default: the first) / 読むシート')
    .option(
      '--time-format <format>',
      'how the file writes hours: decimal (1.5), hours-minutes (60進数 1.30), minutes (90) / 時間の表示形式',
    )
    .option(
      '--profile <name>',
      `the system the file was exported from: ${PROFILE_NAMES.join(', ')} (default: detected from the header) / 書き出し元のシステム`,
    )
    .option(
      '--check',
      'dry run: validate the file and show the mapping, counts and first errors, storing nothing / 確認のみ（何も保存しない）',
    )
    .option(
      '--wait <seconds>',
      'how long to wait for the outcome / 結果を待つ秒数',
      wholeNumber(1, 86_400),
      300,
    )
    .action((file: string, options: UploadOptions) => uploadFile(context(), file, options));
}

/** `kura withdraw <uploadId>`. */
function registerWithdraw(program: Command, context: () => CliContext): void {
  program
    .command('withdraw')
    .description(
      'withdraw an upload sent by mistake: its data is deleted and statistics stop using it / 誤って送ったアップロードを取り下げる',
    )
    .argument('<uploadId>', 'upload id / アップロード ID')
    .action(async (uploadId: string) => {
      const ctx = context();
      const client = await ctx.client('tenant');
      const result = (
        await client.call<{
          uploadId: string;
          withdrawnAt: string;
          deleted: Record<string, number>;
          ledgerRef: string;
        }>('POST', `/uploads/${encodeURIComponent(uploadId)}/withdraw`)
      ).body;
      ctx.emit(result);
      const removed = Object.values(result.deleted).reduce((sum, n) => sum + n, 0);
      ctx.say(
        ctx.t(
          msg(
            `アップロード ${result.uploadId} を取り下げました。データ ${removed} 件（全バージョン）を削除し、台帳に記録しました（${result.ledgerRef}）。次回の統計から使われません。`,
            `Withdrew upload ${result.uploadId}: ${removed} stored object versions deleted, recorded in the ledger (${result.ledgerRef}). The next statistics release no longer uses it.`,
          ),
        ),
      );
    });
}

/** `kura status [uploadId]`, and `--stuck` for operators. */
function registerStatus(program: Command, context: () => CliContext): void {
  program
    .command('status')
    .description('one upload with its row errors, or your uploads / アップロードの状態')
    .argument('[uploadId]', 'upload id / アップロード ID')
    .option(
      '--stuck',
      'operators: uploads that stopped moving, and the dead-letter lists / 運用者向け: 止まったアップロードとデッドレター',
    )
    .option(
      '--older-than <minutes>',
      'with --stuck: unchanged for this long / --stuck と併用: この分数以上変化なし',
    )
    .option(
      '--redrive',
      'with --stuck: put dead letters back in their queues / --stuck と併用: デッドレターを再処理',
    )
    .action(async (uploadId: string | undefined, options: { stuck?: boolean } & StuckOptions) => {
      const ctx = context();
      if (options.stuck) {
        await showStuck(ctx, options);
        return;
      }
      const client = await ctx.client('tenant');
      if (uploadId) {
        const upload = await client.get<UploadView>(`/uploads/${encodeURIComponent(uploadId)}`);
        ctx.emit(upload);
        describeUpload(ctx, upload);
        return;
      }
      const uploads: UploadView[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.get<{ uploads: UploadView[]; cursor?: string }>(
          `/uploads${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        uploads.push(...page.uploads);
        cursor = page.cursor;
      } while (cursor);
      ctx.emit({ uploads });
      ctx.say(
        uploads.length === 0
          ? ctx.t(msg('アップロードはまだありません。', 'No uploads yet.'))
          : renderTable(
              ctx.lang === 'ja'
                ? ['ID', '順番', 'データセット', 'ファイル', '状態', '適用', '受理行', 'エラー行', '依頼日時']
                : [
                    'id',
                    'order',
                    'dataset',
                    'file',
                    'status',
                    'in force',
                    'accepted',
                    'in error',
                    'requested',
                  ],
              uploads.map((u) => [
                u.uploadId,
                u.sequence === undefined ? undefined : Number(u.sequence),
                u.dataset,
                u.fileName,
                u.status,
                inForceText(ctx, u),
                u.rows?.accepted,
                u.rows?.rejected,
                u.requestedAt,
              ]),
            ),
      );
    });
}

/** The list's "in force" cell in the reader's language (empty for an upload whose rows never count). */
function inForceText(ctx: CliContext, upload: UploadView): string | undefined {
  const word = inForceWord(upload);
  return word ? ctx.t(word) : undefined;
}

/** The options of `kura upload`. */
interface UploadOptions {
  dataset: string;
  consentMethod?: string;
  consentDate?: string;
  attestedBy?: string;
  contentType?: string;
  sheet?: string;
  wait: number;
  check?: boolean;
  timeFormat?: string;
  profile?: string;
}

/** Refuses (usage error, exit 2) a profile or time format Kura does not know. */
function checkUploadOptions(options: Pick<UploadOptions, 'profile' | 'timeFormat'>): void {
  if (options.profile !== undefined && !PROFILE_NAMES.includes(options.profile)) {
    throw new CliError(
      msg(
        `--profile は ${PROFILE_NAMES.join(', ')} のいずれかです（一覧と書き出し方: kura profiles）。`,
        `--profile is one of ${PROFILE_NAMES.join(', ')} (list and how to export: kura profiles).`,
      ),
      2,
    );
  }
  const timeFormat = options.timeFormat;
  if (timeFormat !== undefined && !(TIME_FORMATS as readonly string[]).includes(timeFormat)) {
    throw new CliError(
      msg(
        `--time-format は ${TIME_FORMATS.join(', ')} のいずれかです（decimal: 1.5 時間、hours-minutes: 60 進数で 1.30 = 1 時間 30 分、minutes: 90 分）。`,
        `--time-format is one of ${TIME_FORMATS.join(', ')} (decimal: 1.5 hours; hours-minutes: 60-base, 1.30 is 1 h 30 min; minutes: 90).`,
      ),
      2,
    );
  }
}

/** Sends the file to the ticket's presigned POST with a progress bar through its bytes. */
async function sendFile(
  ctx: CliContext,
  file: string,
  ticket: UploadTicket,
  declared: { readonly fileName: string; readonly contentType: string; readonly sizeBytes: number },
): Promise<void> {
  const bar = createProgress({
    label: declared.fileName,
    total: declared.sizeBytes,
    unit: 'bytes',
    stream: ctx.io.progressStream ?? { write: (text: string) => ctx.io.writeErr(text) },
  });
  const counted = createReadStream(file).pipe(countingTransform((sent) => bar.update(sent)));
  await postToPresignedUrl(ticket, declared, counted);
  bar.stop();
}

/** `kura upload`: requests the upload, sends the file, then follows it to its outcome. */
async function uploadFile(ctx: CliContext, file: string, options: UploadOptions): Promise<void> {
  checkUploadOptions(options);
  const consent = consentFrom(options);
  let digest: Awaited<ReturnType<typeof fileDigest>>;
  try {
    digest = await fileDigest(file);
  } catch {
    throw new CliError(
      msg(`ファイル ${file} を読めません。パスを確認してください。`, `Cannot read ${file}: check the path.`),
      2,
    );
  }
  const client = await ctx.client('tenant');
  const fileName = basename(file);
  const contentType = options.contentType ?? (/\.xlsx$/i.test(fileName) ? XLSX_CONTENT_TYPE : 'text/csv');
  const ticket = (
    await client
      .call<UploadTicket>('POST', '/uploads', {
        dataset: options.dataset,
        fileName,
        contentType,
        ...digest,
        ...(options.sheet ? { sheet: options.sheet } : {}),
        ...(consent ? { consent } : {}),
        ...(options.check ? { dryRun: true } : {}),
        ...(options.timeFormat ? { timeFormat: options.timeFormat } : {}),
        ...(options.profile ? { profile: options.profile } : {}),
      })
      .catch((error: unknown) => {
        throw consentMissing(error, options.dataset) ?? error;
      })
  ).body;
  await sendFile(ctx, file, ticket, { fileName, contentType, sizeBytes: digest.sizeBytes });
  ctx.note(
    ctx.t(
      msg(
        `送信しました（${ticket.uploadId}）。処理を待っています…`,
        `Sent (${ticket.uploadId}); waiting for processing…`,
      ),
    ),
  );
  // Processing on a terminal: a bar through its phases (received, validating, pseudonymising, done).
  const terminal = ctx.io.progressStream?.isTTY ? ctx.io.progressStream : undefined;
  const phases = terminal && createPhaseProgress({ label: fileName, phases: 4, stream: terminal });
  const upload = await waitForOutcome(client, ticket.uploadId, options.wait, (seen) => {
    const masking = COUNTING.includes(seen.status) && seen.maskedAt === undefined;
    const done = FINAL.includes(seen.status) && !masking;
    phases?.update(
      done ? 4 : masking ? 3 : seen.status === 'VALIDATING' ? 2 : 1,
      masking ? ctx.t(msg('仮名加工中', 'pseudonymising')) : ctx.t(STATUS_TEXT[seen.status]),
    );
  }).finally(() => phases?.stop());
  ctx.emit(upload);
  describeUpload(ctx, upload);
  const failure = outcomeError(upload);
  if (failure) throw failure;
}
