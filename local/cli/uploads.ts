import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { PROFILE_NAMES } from '../../functions/domain/catalog/profiles.ts';
import { TIME_FORMATS } from '../../functions/domain/catalog/schema.ts';
import { msg } from '../../functions/domain/i18n.ts';
import { XLSX_CONTENT_TYPE } from '../../functions/domain/uploads/content-type.ts';
import type { UploadStatus } from '../../functions/domain/uploads/model.ts';
import {
  type ConsentAttestation,
  countingTransform,
  fileDigest,
  type KuraClient,
  postToPresignedUrl,
  type UploadTicket,
} from '../client.ts';
import { createPhaseProgress, createProgress } from '../progress.ts';
import { wholeNumber } from './arguments.ts';
import { type CliContext, CliError, CliOutcomeError } from './context.ts';
import { type StuckOptions, showStuck } from './operator.ts';
import { renderTable } from './table.ts';

/** An upload as GET /uploads/{uploadId} returns it (the fields the CLI shows). */
interface UploadView {
  readonly uploadId: string;
  readonly dataset: string;
  readonly fileName: string;
  readonly status: UploadStatus;
  readonly requestedAt?: string;
  readonly updatedAt?: string;
  readonly reason?: { readonly code: string; readonly ja: string; readonly en: string };
  readonly rows?: { readonly total: number; readonly accepted: number; readonly rejected: number };
  readonly errors?: ReadonlyArray<{
    readonly line: number;
    readonly column?: string;
    readonly code: string;
    readonly message: { readonly ja: string; readonly en: string };
    readonly value?: string;
  }>;
  readonly errorsTruncated?: boolean;
  /** Remarks on a file accepted anyway (e.g. unknown columns dropped). */
  readonly warnings?: ReadonlyArray<{ readonly code: string; readonly ja: string; readonly en: string }>;
  /** The upload's place in the company's order (later replaces earlier, per dataset and period). */
  readonly sequence?: string;
  readonly maskedAt?: string;
  readonly supersededBy?: Readonly<Record<string, string>>;
  readonly withdrawnAt?: string;
  readonly inForce?: boolean;
  readonly checkedAs?: 'ACCEPTED' | 'PARTIALLY_ACCEPTED' | 'REJECTED';
  readonly columnMapping?: ReadonlyArray<{ readonly position: number; readonly column: string | null }>;
  /** The import profile the file was read with (named, or detected from its header). */
  readonly importProfile?: { readonly name: string; readonly detected: boolean };
}

const FINAL: readonly UploadStatus[] = ['ACCEPTED', 'PARTIALLY_ACCEPTED', 'REJECTED', 'WITHDRAWN', 'CHECKED'];
const COUNTING: readonly UploadStatus[] = ['ACCEPTED', 'PARTIALLY_ACCEPTED'];

const STATUS_TEXT: Record<UploadStatus, { ja: string; en: string }> = {
  REQUESTED: msg('受付待ち（ファイル未着）', 'requested (no file yet)'),
  RECEIVED: msg('受信済み', 'received'),
  VALIDATING: msg('検証中', 'validating'),
  ACCEPTED: msg('受理', 'accepted'),
  PARTIALLY_ACCEPTED: msg('一部受理（エラー行を除外）', 'partially accepted (rows in error left out)'),
  REJECTED: msg('不受理', 'rejected'),
  WITHDRAWN: msg('取り下げ済み（データは削除済み）', 'withdrawn (its data deleted)'),
  CHECKED: msg('確認のみ（何も保存していません）', 'checked only (nothing stored)'),
};

/** Whether the upload's rows count, as a word for the list: yes, partly, superseded, pending. */
function inForceWord(upload: UploadView): string | undefined {
  if (!COUNTING.includes(upload.status)) return undefined;
  if (upload.maskedAt === undefined) return 'pending';
  if (upload.inForce === false) return 'superseded';
  return Object.keys(upload.supersededBy ?? {}).length > 0 ? 'partly' : 'yes';
}

function supersessionLines(ctx: CliContext, upload: UploadView): string[] {
  if (!COUNTING.includes(upload.status)) return [];
  if (upload.maskedAt === undefined) {
    return [
      `${ctx.t(msg('適用', 'In force'))}: ${ctx.t(msg('仮名加工中（完了するまで統計には使われません）', 'not yet: pseudonymisation has not completed, so nothing uses it'))}`,
    ];
  }
  const superseded = Object.entries(upload.supersededBy ?? {}).sort();
  const lines = [
    `${ctx.t(msg('適用', 'In force'))}: ${ctx.t(
      upload.inForce === false
        ? msg(
            'いいえ（すべての期間が後のアップロードに置き換えられました）',
            'no: later uploads replaced every period',
          )
        : superseded.length > 0
          ? msg('一部の期間のみ', 'for some periods only')
          : msg('はい', 'yes'),
    )}`,
  ];
  for (const [period, by] of superseded) {
    lines.push(ctx.t(msg(`  ${period}: ${by} に置き換えられました`, `  ${period}: replaced by ${by}`)));
  }
  return lines;
}

/** Prints one upload: status, row counts, reason, row errors as a table. */
function describeUpload(ctx: CliContext, upload: UploadView): void {
  const lines = [
    `${ctx.t(msg('アップロード', 'Upload'))} ${upload.uploadId}  ${upload.dataset}  ${upload.fileName}`,
    `${ctx.t(msg('状態', 'Status'))}: ${upload.status} — ${ctx.t(STATUS_TEXT[upload.status])}`,
    ...supersessionLines(ctx, upload),
  ];
  if (upload.rows) {
    lines.push(
      ctx.t(
        msg(
          `行数: 全 ${upload.rows.total} 行、受理 ${upload.rows.accepted} 行、エラー ${upload.rows.rejected} 行`,
          `Rows: ${upload.rows.total} in total, ${upload.rows.accepted} accepted, ${upload.rows.rejected} in error`,
        ),
      ),
    );
  }
  if (upload.checkedAs) {
    lines.push(
      ctx.t(
        msg(
          `アップロードした場合の結果: ${upload.checkedAs} — ${STATUS_TEXT[upload.checkedAs].ja}`,
          `As an upload it would be: ${upload.checkedAs} — ${STATUS_TEXT[upload.checkedAs].en}`,
        ),
      ),
    );
  }
  if (upload.importProfile) {
    const { name, detected } = upload.importProfile;
    lines.push(
      ctx.t(
        msg(
          `取り込み形式: ${name}${detected ? '（見出しから判定）' : ''}`,
          `Import profile: ${name}${detected ? ' (detected from the header)' : ''}`,
        ),
      ),
    );
  }
  if (upload.columnMapping) {
    lines.push(
      renderTable(
        ctx.lang === 'ja' ? ['列', '対応する項目'] : ['column', 'maps to'],
        upload.columnMapping.map((m) => [m.position, m.column ?? ctx.t(msg('（取り除く）', '(dropped)'))]),
      ),
    );
  }
  if (upload.reason) lines.push(`${ctx.t(msg('理由', 'Reason'))}: ${ctx.t(upload.reason)}`);
  for (const warning of upload.warnings ?? []) lines.push(`${ctx.t(msg('注意', 'Note'))}: ${ctx.t(warning)}`);
  if (upload.errors && upload.errors.length > 0) {
    lines.push(
      '',
      renderTable(
        ctx.lang === 'ja'
          ? ['行', '列', 'コード', '内容', '値']
          : ['line', 'column', 'code', 'message', 'value'],
        upload.errors.map((e) => [e.line, e.column, e.code, ctx.t(e.message), e.value]),
      ),
    );
    if (upload.errorsTruncated) {
      lines.push(
        ctx.t(
          msg(
            '（最初のエラーのみ表示。全件は報告ファイルにあります）',
            '(first errors only; the full report is stored with the upload)',
          ),
        ),
      );
    }
  }
  ctx.say(lines.join('\n'));
}

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

/** Upload outcome → exit: only a file accepted in full succeeds. */
function outcomeError(upload: UploadView): CliOutcomeError | undefined {
  if (upload.status === 'ACCEPTED' || (upload.status === 'CHECKED' && upload.checkedAs === 'ACCEPTED')) {
    return undefined;
  }
  if (upload.status === 'CHECKED') {
    return new CliOutcomeError(
      msg(
        `このファイルをアップロードすると「${STATUS_TEXT[upload.checkedAs ?? 'REJECTED'].ja}」になります。`,
        `Uploaded, this file would be ${STATUS_TEXT[upload.checkedAs ?? 'REJECTED'].en}.`,
      ),
    );
  }
  return new CliOutcomeError(
    FINAL.includes(upload.status)
      ? msg(
          `アップロードは「${STATUS_TEXT[upload.status].ja}」でした。`,
          `The upload was ${STATUS_TEXT[upload.status].en}.`,
        )
      : msg(
          `待ち時間内に処理が終わりませんでした（状態 ${upload.status}）。kura status ${upload.uploadId} で確認してください。`,
          `Processing did not finish in time (status ${upload.status}): check later with kura status ${upload.uploadId}.`,
        ),
  );
}

/** `kura upload` and `kura status`. */
export function registerUploadCommands(program: Command, context: () => CliContext): void {
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
    .action(
      async (
        file: string,
        options: {
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
        },
      ) => {
        const ctx = context();
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
        const consent = consentFrom(options);
        let digest: Awaited<ReturnType<typeof fileDigest>>;
        try {
          digest = await fileDigest(file);
        } catch {
          throw new CliError(
            msg(
              `ファイル ${file} を読めません。パスを確認してください。`,
              `Cannot read ${file}: check the path.`,
            ),
            2,
          );
        }
        const client = await ctx.client('tenant');
        const fileName = basename(file);
        const contentType =
          options.contentType ?? (/\.xlsx$/i.test(fileName) ? XLSX_CONTENT_TYPE : 'text/csv');
        const ticket = (
          await client.call<UploadTicket>('POST', '/uploads', {
            dataset: options.dataset,
            fileName,
            contentType,
            ...digest,
            ...(options.sheet ? { sheet: options.sheet } : {}),
            ...(consent ? { consent } : {}),
            ...(options.check ? { dryRun: true } : {}),
            ...(timeFormat ? { timeFormat } : {}),
            ...(options.profile ? { profile: options.profile } : {}),
          })
        ).body;
        const bar = createProgress({
          label: fileName,
          total: digest.sizeBytes,
          unit: 'bytes',
          stream: ctx.io.progressStream ?? { write: (text: string) => ctx.io.writeErr(text) },
        });
        const counted = createReadStream(file).pipe(countingTransform((sent) => bar.update(sent)));
        await postToPresignedUrl(ticket, { fileName, contentType, sizeBytes: digest.sizeBytes }, counted);
        bar.stop();
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
      },
    );

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
                inForceWord(u),
                u.rows?.accepted,
                u.rows?.rejected,
                u.requestedAt,
              ]),
            ),
      );
    });
}
