/**
 * Building blocks of the dataset catalogue's definitions: the column shapes several datasets share
 * (employee number, hours, yen amounts), the enum values of gender and employment type, and sizes.
 */
import type { ColumnDef } from './schema.ts';

export type ColumnInput = Omit<ColumnDef, 'aliases'> & { aliases?: string[] };
export const col = (c: ColumnInput): ColumnInput => c;
export const d = (ja: string, en: string) => ({ ja, en });

export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;

export const employeeId = col({
  name: 'employee_id',
  ja: '社員番号',
  aliases: ['従業員番号', '社員コード', '従業員コード', '社員No'],
  description: d('会社が従業員に付けた番号', 'Employee number assigned by the company'),
  type: 'code',
  required: true,
  privacy: 'linking_code',
  maxLength: 32,
});

export const hours = (name: string, ja: string, en: string, aliases: string[] = [], max = 24) =>
  col({
    name,
    ja,
    aliases,
    description: d(ja, en),
    type: 'decimal',
    required: false,
    privacy: 'sensitive',
    min: 0,
    max,
    duration: true,
  });

export const yen = (name: string, ja: string, en: string, aliases: string[] = [], required = false) =>
  col({
    name,
    ja,
    aliases,
    description: d(`${ja}（円）`, `${en} (yen)`),
    type: 'integer',
    required,
    privacy: 'sensitive',
    min: 0,
    max: 100_000_000,
    topCode: 3_000_000,
  });

export const GENDER_VALUES = [
  { value: 'male', accepts: ['男', '男性', 'M', 'male', 'Male', '1'], ja: '男性', en: 'male' },
  { value: 'female', accepts: ['女', '女性', 'F', 'female', 'Female', '2'], ja: '女性', en: 'female' },
  { value: 'other', accepts: ['その他', 'X', 'other', 'Other', '9'], ja: 'その他', en: 'other' },
];

export const EMPLOYMENT_TYPE_VALUES = [
  { value: 'regular', accepts: ['正社員', '正規', 'regular'], ja: '正社員', en: 'regular' },
  { value: 'contract', accepts: ['契約社員', '嘱託', '契約', 'contract'], ja: '契約社員', en: 'fixed-term' },
  {
    value: 'part_time',
    accepts: ['パート', 'アルバイト', 'パート・アルバイト', 'パートタイマー', 'part_time', 'part-time'],
    ja: 'パート・アルバイト',
    en: 'part-time',
  },
  { value: 'dispatched', accepts: ['派遣', '派遣社員', 'dispatched'], ja: '派遣社員', en: 'dispatched' },
  { value: 'executive', accepts: ['役員', 'executive'], ja: '役員', en: 'executive' },
];
