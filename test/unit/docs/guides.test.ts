import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../local/cli/main.ts';

const root = join(import.meta.dirname, '../../..');
const guides = readdirSync(join(root, 'docs/guides')).map((name) => `docs/guides/${name}`);

/** Every `npx kura …` invocation of a document (continuation lines joined): its command words and options. */
function invocations(path: string) {
  const text = readFileSync(join(root, path), 'utf8').replace(/\\\n\s*/g, ' ');
  return [...text.matchAll(/npx kura ((?:[a-z]+(?=[\s`]|$) ?)*)([^\n`]*)/g)].map((m) => ({
    path,
    words: (m[1] ?? '').trim().split(' ').filter(Boolean),
    options: [...(m[2] ?? '').matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((o) => o[0]),
  }));
}

async function helpOf(words: readonly string[]) {
  const out: string[] = [];
  const code = await runCli(['node', 'kura', '--lang', 'en', ...words, '--help'], {
    write: (text) => void out.push(text),
    writeErr: (text) => void out.push(text),
    env: {},
  });
  return { code, help: out.join('') };
}

describe('Japanese guides and docs/BI.md', () => {
  it('exist for companies, advisors and operators', () => {
    expect(guides.sort()).toEqual(
      [
        'docs/guides/advisor.md',
        'docs/guides/company.md',
        'docs/guides/operator-onboarding.md',
        'docs/guides/upload.en.md',
        'docs/guides/upload.ja.md',
      ].sort(),
    );
  });

  it('name only kura commands and options that exist', async () => {
    // Prepare
    const all = [...guides, 'docs/BI.md'].flatMap(invocations);

    // Act
    const problems: string[] = [];
    for (const { path, words: typed, options } of all) {
      // The longest run of words that is a command; the words after it must be its arguments
      // (`kura mapping set attendance`: the command `mapping set`, the argument `attendance`).
      let words = typed;
      let { code, help } = await helpOf(words);
      while (words.length > 0 && (code !== 0 || !help.includes(`Usage: kura ${words.join(' ')} `))) {
        words = words.slice(0, -1);
        ({ code, help } = await helpOf(words));
      }
      const usage =
        help.split('\n').find((line) => line.startsWith(`Usage: kura ${words.join(' ')}`.trim())) ?? '';
      const argumentSlots = (usage.match(/[<[][a-zA-Z-]+[>\]]/g) ?? []).filter(
        (slot) => slot !== '[options]' && slot !== '[command]',
      );
      if (typed.length - words.length > argumentSlots.length || (words.length === 0 && typed.length > 0)) {
        problems.push(`${path}: kura ${typed.join(' ')} is not a command`);
      }
      for (const option of options) {
        if (!new RegExp(`${option}[ ,<\\n]`).test(help))
          problems.push(`${path}: kura ${words.join(' ')} has no ${option}`);
      }
    }

    // Assess
    expect(all.length).toBeGreaterThan(15);
    expect(problems).toEqual([]);
  });
});
