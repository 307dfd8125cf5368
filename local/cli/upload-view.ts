/** An upload as the CLI shows it: its status in words, which months it is in force for, its counts and errors. */
import { type Message, msg } from '../../functions/domain/i18n.ts';
import type { UploadStatus } from '../../functions/domain/uploads/model.ts';
import { type CliContext, CliOutcomeError } from './context.ts';
import { renderTable } from './table.ts';

/** An upload as GET /uploads/{uploadId} returns it (the fields the CLI shows). */
export interface UploadView {
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

export const FINAL: readonly UploadStatus[] = [
  'ACCEPTED',
  'PARTIALLY_ACCEPTED',
  'REJECTED',
  'WITHDRAWN',
  'CHECKED',
];
export const COUNTING: readonly UploadStatus[] = ['ACCEPTED', 'PARTIALLY_ACCEPTED'];

export const STATUS_TEXT: Record<UploadStatus, { ja: string; en: string }> = {
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
export function inForceWord(upload: UploadView): Message | undefined {
  if (!COUNTING.includes(upload.status)) return undefined;
  if (upload.maskedAt === undefined) return msg('処理中', 'pending');
  if (upload.inForce === false) return msg('置き換え済み', 'superseded');
  return Object.keys(upload.supersededBy ?? {}).length > 0 ? msg('一部', 'partly') : msg('はい', 'yes');
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
export function describeUpload(ctx: CliContext, upload: UploadView): void {
  const lines = [
    `${ctx.t(msg('アップロード', 'Upload'))} ${upload.uploadId}  ${upload.dataset}  ${upload.fileName}`,
    `${ctx.t(msg('状態', 'Status'))}: ${upload.status} — ${ctx.t(STATUS_TEXT[upload.status])}`,
    ...supersessionLines(ctx, upload),
  ];
  if (upload.rows) lines.push(rowCountsLine(ctx, upload.rows));
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
  lines.push(...rowErrorLines(ctx, upload));
  ctx.say(lines.join('\n'));
}

/** An upload's row counts in words (the company's view and support's). */
export function rowCountsLine(ctx: CliContext, rows: NonNullable<UploadView['rows']>): string {
  return ctx.t(
    msg(
      `行数: 全 ${rows.total} 行、受理 ${rows.accepted} 行、エラー ${rows.rejected} 行`,
      `Rows: ${rows.total} in total, ${rows.accepted} accepted, ${rows.rejected} in error`,
    ),
  );
}

/**
 * An upload's row errors (none: no lines): a blank line, a table with headings in the reader's
 * language, and a note when only the first errors came (the company's view and support's).
 */
export function rowErrorLines(
  ctx: CliContext,
  upload: Pick<UploadView, 'errors' | 'errorsTruncated'>,
): string[] {
  if (!upload.errors || upload.errors.length === 0) return [];
  const table = renderTable(
    ctx.lang === 'ja' ? ['行', '列', 'コード', '内容', '値'] : ['line', 'column', 'code', 'message', 'value'],
    upload.errors.map((e) => [e.line, e.column, e.code, ctx.t(e.message), e.value]),
  );
  const truncated = ctx.t(
    msg(
      '（最初のエラーのみ表示。全件は報告ファイルにあります）',
      '(first errors only; the full report is stored with the upload)',
    ),
  );
  return ['', table, ...(upload.errorsTruncated ? [truncated] : [])];
}

/** Upload outcome → exit: only a file accepted in full succeeds. */
export function outcomeError(upload: UploadView): CliOutcomeError | undefined {
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
