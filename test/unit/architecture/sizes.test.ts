/**
 * No domain file over 450 lines (issue 20: files split by concern, ~400 lines each): a file that long
 * carries several concerns. The files below were longer when this test was written and are being
 * split on another branch; each may only shrink, and its entry goes once it complies.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const DOMAIN = join(ROOT, 'functions/domain');
const MAX_LINES = 450;

/** Known exceptions: repository path → the most lines it may have (its length when listed). None since issue 20. */
const KNOWN_EXCEPTIONS: Readonly<Record<string, number>> = {};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Lines as `wc -l` counts them. */
function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** What breaks the rule: a file over the limit that is not a known exception, or one that grew. */
function violations(
  lengths: ReadonlyMap<string, number>,
  max: number,
  known: Readonly<Record<string, number>>,
): string[] {
  const found: string[] = [];
  for (const [file, lines] of lengths) {
    const ceiling = known[file];
    if (ceiling === undefined && lines > max) found.push(`${file}: ${lines} lines (at most ${max})`);
    if (ceiling !== undefined && lines > ceiling) found.push(`${file}: ${lines} lines, grew past ${ceiling}`);
  }
  for (const [file, ceiling] of Object.entries(known)) {
    const lines = lengths.get(file);
    if (lines === undefined || lines <= max) {
      found.push(`${file}: listed as an exception (${ceiling}) but now complies or is gone: remove it`);
    }
  }
  return found.sort();
}

describe('domain file sizes', () => {
  it(`has no domain file over ${MAX_LINES} lines beyond the known exceptions, and none of those grew`, () => {
    const lengths = new Map(
      sources(DOMAIN).map((file) => [relative(ROOT, file), lineCount(readFileSync(file, 'utf8'))]),
    );

    const found = violations(lengths, MAX_LINES, KNOWN_EXCEPTIONS);

    expect(lengths.size).toBeGreaterThan(100);
    expect(found).toEqual([]);
  });

  it('finds a file over the limit, an exception that grew and one that no longer needs listing (the check itself)', () => {
    const lengths = new Map([
      ['a.ts', 451],
      ['b.ts', 450],
      ['c.ts', 601],
      ['d.ts', 300],
    ]);

    const found = violations(lengths, 450, { 'c.ts': 600, 'd.ts': 500 });

    expect(found).toEqual([
      'a.ts: 451 lines (at most 450)',
      'c.ts: 601 lines, grew past 600',
      'd.ts: listed as an exception (500) but now complies or is gone: remove it',
    ]);
  });
});
