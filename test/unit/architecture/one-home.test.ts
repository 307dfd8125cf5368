/**
 * One home for every rule (issue 20, house style 5a): a rule written twice drifts. Each rule below was
 * once written in several files; the test finds its tell-tale text in code (comments aside) and fails
 * when it appears outside the rule's home module, naming the file and line and the module to import
 * instead.
 */
import { describe, expect, it } from 'vitest';
import { codeFiles, ROOT, repoPath } from './source-files.ts';

interface Rule {
  /** What the rule decides. */
  readonly rule: string;
  /** The one module that decides it (repository path). */
  readonly home: string;
  /** Code that writes the rule (again). */
  readonly pattern: RegExp;
  /** Further modules that are homes of the rule (one rule with two readers' formats). */
  readonly otherHomes?: readonly string[];
  /** Folders not yet held to the rule (each a known repeat to remove), as repository path prefixes. */
  readonly notYet?: readonly string[];
}

const RULES: readonly Rule[] = [
  {
    rule: 'the mask character (a masked value written as ＊ or ***)',
    home: 'functions/domain/masking/policy.ts',
    pattern: /['"`](＊|\*\*\*)/,
  },
  {
    rule: 'which privacy classes are personal (row-error reports, API descriptions)',
    home: 'functions/domain/masking/policy.ts',
    pattern: /privacy\s*[!=]==?\s*['"]attribute['"]|PERSONAL_CLASSES/,
  },
  {
    rule: 'the tenant id pattern',
    home: 'functions/domain/tenants/model.ts',
    pattern: /\[a-z0-9\]\[a-z0-9-\]\{2,62\}/,
  },
  {
    rule: 'the stage name pattern',
    home: 'functions/domain/stages.ts',
    pattern: /\[a-z\]\[a-z0-9\]\{0,15\}/,
  },
  {
    rule: 'the regions data may live in',
    home: 'functions/domain/stages.ts',
    pattern: /['"]ap-northeast-1['"],\s*['"]ap-northeast-3['"]/,
  },
  {
    rule: 'the platform key id',
    home: 'functions/domain/ports/key-store.ts',
    pattern: /['"]_platform['"]/,
  },
  {
    rule: 'the ledger actor of a principal (actorOf)',
    home: 'functions/domain/auth/principal.ts',
    pattern: /roles:\s*\[\.\.\.principal\.roles\]|(const|function)\s+actorOf\b/,
  },
  {
    rule: 'listing the tenants (a scan of the tenants table)',
    home: 'functions/domain/tenants/rules.ts',
    pattern: /scan\??\.?\(\s*(TENANTS_TABLE|['"]tenants['"])/,
  },
  {
    rule: 'the fact tables’ columns',
    home: 'functions/domain/masking/facts.ts',
    pattern: /\[\s*['"]employee_token['"],\s*['"]VARCHAR['"]\s*\]|separated BOOLEAN|employees INTEGER/,
  },
  {
    rule: 'the Excel workbook content type and a content type’s media type',
    home: 'functions/domain/uploads/content-type.ts',
    pattern: /spreadsheetml\.sheet['"]|split\(['"];['"]\)\[0\]\?\.trim\(\)\.toLowerCase\(\)/,
  },
  {
    rule: 'SQL quoting (a string literal with its single quotes doubled)',
    home: 'functions/domain/sql-text.ts',
    pattern: /replace(All)?\(\s*(\/'\/g|"'")\s*,\s*"''"\s*\)/,
  },
  {
    rule: 'double quotes doubled (a SQL identifier, or a CSV field as RFC 4180 writes it)',
    home: 'functions/domain/sql-text.ts',
    otherHomes: ['functions/domain/csv.ts'],
    pattern: /replace(All)?\(\s*(\/"\/g|'"')\s*,\s*'""'\s*\)/,
  },
  {
    rule: 'a catalogue column type’s SQL type',
    home: 'functions/domain/catalog/schema.ts',
    pattern: /case\s+['"]integer['"]:\s*return\s+['"]BIGINT['"]|return\s+['"]BIGINT['"];/,
  },
];

/** A line that is only comment: TSDoc, block or line comment. */
const COMMENT_LINE = /^\s*(\*|\/\*|\/\/)/;

/** Every line of code outside the rule's home that matches its pattern, as "file:line". */
function repeats(rule: Rule, files: readonly { readonly path: string; readonly text: string }[]): string[] {
  return files.flatMap(({ path, text }) => {
    const file = repoPath(path);
    if (
      file === rule.home ||
      rule.otherHomes?.includes(file) ||
      rule.notYet?.some((folder) => file.startsWith(folder))
    ) {
      return [];
    }
    return text
      .split('\n')
      .flatMap((line, index) =>
        !COMMENT_LINE.test(line) && rule.pattern.test(line) ? [`${file}:${index + 1}`] : [],
      );
  });
}

describe('one home for every rule', () => {
  const files = codeFiles();

  for (const rule of RULES) {
    it(`writes ${rule.rule} only in ${rule.home}`, () => {
      expect(files.some(({ path }) => repoPath(path) === rule.home)).toBe(true);
      expect(repeats(rule, files)).toEqual([]);
    });
  }

  it('finds a repeat when there is one (the check itself)', () => {
    const rule = RULES[0] as Rule;
    expect(
      repeats(rule, [
        { path: `${ROOT}/functions/domain/x.ts`, text: "// '＊' in a comment\nconst hidden = '***';" },
      ]),
    ).toEqual(['functions/domain/x.ts:2']);
  });
});
