/**
 * Parsers for the CLI's option and argument values. Each refuses a bad value while the command line is
 * read, before anything is sent, so a mistyped value is a usage error (exit 2) with a message in both
 * languages, never a request with NaN in it.
 */
import { InvalidArgumentError } from 'commander';
import { tenantIdSchema } from '../../functions/domain/tenants/model.ts';
import { CliError } from './context.ts';

/** A whole number from `min` to `max`, e.g. `--limit 40`. */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(number) || number < min || number > max) {
      throw new InvalidArgumentError(
        `${min}〜${max} の整数にしてください / use a whole number from ${min} to ${max}`,
      );
    }
    return number;
  };
}

/** A statistics period: a year (`2025`) or a month (`2025-06`). */
export function period(value: string): string {
  if (!/^\d{4}(-(0[1-9]|1[0-2]))?$/.test(value)) {
    throw new InvalidArgumentError('2025-06（年月）か 2025（年）の形式にしてください / use 2025-06 or 2025');
  }
  return value;
}

/**
 * A company (tenant) id, by the rule every part of Kura uses (functions/domain/tenants/model.ts); a
 * usage error naming the option or argument it came from.
 */
export function requireTenantId(value: string | undefined, from = '--tenant'): string {
  if (value === undefined || value === '') {
    throw new CliError(
      {
        ja: `${from} に会社 ID を指定してください（例: ${from} demo-a）。`,
        en: `Name the company with ${from} (e.g. ${from} demo-a).`,
      },
      2,
    );
  }
  if (!tenantIdSchema.safeParse(value).success) {
    throw new CliError(
      {
        ja: `${from} の会社 ID は英小文字・数字・ハイフンで 3〜63 文字です（例: demo-a）。`,
        en: `${from} must be a company id: 3–63 lowercase letters, digits or hyphens (e.g. demo-a).`,
      },
      2,
    );
  }
  return value;
}
