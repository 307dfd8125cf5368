/**
 * Spreadsheet formula injection: a cell that starts with one of these runs as a formula when a CSV
 * export is opened in Excel (or a BI tool evaluates it). See OWASP "CSV Injection".
 */
export const FORMULA_START_CHARS = ['=', '+', '-', '@', '\t', '\r'] as const;

/** Regular expression (RE2 and JS alike) matching a value that would run as a formula. */
export const FORMULA_START_PATTERN = '^[=+@\\t\\r-]';

/**
 * Neutralises a string value by prefixing `'`, which spreadsheets show as text. Only for strings:
 * a signed number is stored as a number and never goes through here.
 */
export function neutraliseFormula(value: string): string {
  return new RegExp(FORMULA_START_PATTERN).test(value) ? `'${value}` : value;
}
