import type { ColumnDef } from '../catalog/schema.ts';
import type { Message } from '../i18n.ts';
import { ERAS, MAX_DATE, MIN_DATE } from '../japanese/era.ts';
import type { CellErrorCode } from './rules.ts';
import type { StructuralError } from './scan.ts';

/** Row error codes: cell rules plus the structural ones the scanner finds. */
export type RowErrorCode = CellErrorCode | StructuralError['code'];

const range = (column: ColumnDef) =>
  column.min !== undefined && column.max !== undefined
    ? { ja: `${column.min}〜${column.max}`, en: `${column.min} to ${column.max}` }
    : column.min !== undefined
      ? { ja: `${column.min} 以上`, en: `at least ${column.min}` }
      : { ja: `${column.max} 以下`, en: `at most ${column.max}` };

const eraList = ERAS.map(
  (e) =>
    `${e.name}（${e.start.replace(/-/g, '/')}〜${e.end.startsWith('9999') ? '' : e.end.replace(/-/g, '/')}）`,
).join('、');

/** The bilingual message for a row error in a column (`header` as the file spells it). */
export function rowErrorMessage(
  code: RowErrorCode,
  column: ColumnDef | undefined,
  header: string,
  expectedColumns = 0,
): Message {
  const where = { ja: `「${header}」`, en: `"${header}"` };
  switch (code) {
    case 'REQUIRED':
      return {
        ja: `${where.ja}は必須です。値を入力してください。`,
        en: `${where.en} is required; enter a value.`,
      };
    case 'TOO_LONG':
      return {
        ja: `${where.ja}が長すぎます（${column?.maxLength} 文字まで）。`,
        en: `${where.en} is too long (at most ${column?.maxLength} characters).`,
      };
    case 'INVALID_CODE':
      return {
        ja: `${where.ja}に改行や制御文字は使えません。`,
        en: `${where.en} cannot contain line breaks or control characters.`,
      };
    case 'INVALID_NUMBER':
      return {
        ja: `${where.ja}は数値で入力してください（例: 1234、7.5${column?.type === 'decimal' ? '、7:30' : ''}）。`,
        en: `${where.en} must be a number (e.g. 1234, 7.5${column?.type === 'decimal' ? ', 7:30' : ''}).`,
      };
    case 'INVALID_TIME':
      return column?.timeFormat === 'minutes'
        ? {
            ja: `${where.ja}は分単位の整数で入力してください（例: 90、または 1:30）。アップロード時の時間表示形式は「分」です。`,
            en: `${where.en} must be whole minutes (e.g. 90, or 1:30): the upload declared the time format "minutes".`,
          }
        : {
            ja: `${where.ja}は「時間.分」（60 進数、分は 00〜59。例: 1.30 = 1 時間 30 分、または 1:30）で入力してください。アップロード時の時間表示形式は 60 進数です。`,
            en: `${where.en} must be hours.minutes (60-base, minutes 00–59: 1.30 is 1 h 30 min; or 1:30): the upload declared the time format "hours-minutes".`,
          };
    case 'OUT_OF_RANGE':
      if (column?.type === 'date' || column?.type === 'month') {
        return {
          ja: `${where.ja}の日付が範囲外です（${MIN_DATE}〜${MAX_DATE}）。`,
          en: `${where.en} is outside the accepted dates (${MIN_DATE} to ${MAX_DATE}).`,
        };
      }
      return column
        ? {
            ja: `${where.ja}は ${range(column).ja} の範囲で入力してください。`,
            en: `${where.en} must be ${range(column).en}.`,
          }
        : { ja: `${where.ja}が範囲外です。`, en: `${where.en} is out of range.` };
    case 'INVALID_DATE':
      return {
        ja: `${where.ja}は存在する日付で入力してください（例: 2023/4/1、2023-04-01、20230401、令和5年4月1日、R5.4.1）。`,
        en: `${where.en} must be a real date (e.g. 2023/4/1, 2023-04-01, 20230401, 令和5年4月1日, R5.4.1).`,
      };
    case 'ERA_MISMATCH':
      return {
        ja: `${where.ja}の和暦の日付はその元号の期間にありません（${eraList}）。例: 平成31年5月1日は令和元年5月1日です。`,
        en: `${where.en} is a Japanese era date outside that era (e.g. Heisei 31-05-01 does not exist; it is Reiwa 1-05-01).`,
      };
    case 'INVALID_VALUE': {
      const values = column?.values ?? [];
      return {
        ja: `${where.ja}は次のいずれかで入力してください: ${values.map((v) => v.accepts.join('/')).join('、')}。`,
        en: `${where.en} must be one of: ${values.map((v) => v.accepts.join('/')).join(', ')}.`,
      };
    }
    case 'DUPLICATE_ROW':
      return {
        ja: `同じ${where.ja}の行が前にもあります。重複した行を削除してください。`,
        en: `An earlier row has the same ${where.en}; remove the duplicate row.`,
      };
    case 'COLUMN_COUNT':
      return {
        ja: `列の数が見出し行（${expectedColumns} 列）と一致しません。カンマや引用符を確認してください。`,
        en: `The row does not have the ${expectedColumns} columns of the header line; check its commas and quotes.`,
      };
    case 'MALFORMED_QUOTE':
      return {
        ja: '引用符（"）の使い方が正しくありません。値の中の " は "" と書き、値全体を " で囲んでください。',
        en: 'A quote (") is misplaced. Enclose the whole value in quotes and write a quote inside it as "".',
      };
  }
}
