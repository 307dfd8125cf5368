/**
 * The layers README's folder map names, and which way imports may go between them (issue 20). A layer
 * imports only layers below it: the domain is pure and defines the ports it needs, the adapters
 * implement them, a function's handler and composition root wire the two, and the local platform, the
 * CDK app, the CLI entry and the benchmarks sit on top. A file importing upward ties a lower layer to
 * what is built on it, so the domain could no longer run the same in Lambda, locally and in tests.
 */
import { describe, expect, it } from 'vitest';
import { codeFiles, repoPath, resolveRelative, specifiers } from './source-files.ts';

/** README's folder map, as layers with their rank: a file may import its own layer or a lower rank. */
const LAYERS: ReadonlyArray<{
  readonly name: string;
  readonly rank: number;
  readonly matches: (path: string) => boolean;
}> = [
  { name: 'functions/domain', rank: 1, matches: (p) => p.startsWith('functions/domain/') },
  { name: 'layers', rank: 1, matches: (p) => p.startsWith('layers/') },
  { name: 'functions/adapters', rank: 2, matches: (p) => p.startsWith('functions/adapters/') },
  { name: 'functions/observability', rank: 2, matches: (p) => p.startsWith('functions/observability/') },
  { name: 'functions/<name>', rank: 3, matches: (p) => p.startsWith('functions/') },
  { name: 'infra', rank: 4, matches: (p) => p.startsWith('infra/') },
  { name: 'local', rank: 4, matches: (p) => p.startsWith('local/') },
  { name: 'bin', rank: 5, matches: (p) => p.startsWith('bin/') },
  { name: 'bench', rank: 5, matches: (p) => p.startsWith('bench/') },
];

const layerOf = (path: string) => LAYERS.find((layer) => layer.matches(path));

/** Packages and built-ins domain code may not import: it reaches the outside world only through its ports. */
const DOMAIN_FORBIDDEN_PACKAGES = [/^@aws-sdk\//, /^(node:)?fs(\/promises)?$/];

/**
 * Domain files that still touch the local disk (scratch directories for DuckDB and the files it reads
 * and writes), each waiting to be moved behind a port. The list only shrinks: a new file fails the test,
 * and so does a listed file that no longer needs its entry.
 */
const DOMAIN_FILES_STILL_USING_FS = new Set([
  'functions/domain/ingest/decode.ts',
  'functions/domain/ingest/process-upload.ts',
  'functions/domain/ingest/process.ts',
  'functions/domain/masking/duckdb-engine.ts',
  'functions/domain/masking/local-files.ts',
  'functions/domain/stats/audit-truth.ts',
  'functions/domain/stats/bi-export.ts',
  'functions/domain/stats/duckdb-runner.ts',
  'functions/domain/stats/publish-commit.ts',
  'functions/domain/stats/publish.ts',
  'functions/domain/stats/service.ts',
]);

interface Edge {
  readonly from: string;
  readonly to: string;
}

/** Every relative import from one file of the code folders to another, as repository paths. */
function edges(): Edge[] {
  return codeFiles().flatMap(({ path, text }) =>
    specifiers(text)
      .map((specifier) => resolveRelative(path, specifier))
      .filter((target): target is string => target !== undefined)
      .map((target) => ({ from: repoPath(path), to: repoPath(target) })),
  );
}

/** The imports that go to a higher layer, or sideways to another layer of the same rank. */
function upwardImports(all: readonly Edge[]): string[] {
  return all.flatMap(({ from, to }) => {
    const source = layerOf(from);
    const target = layerOf(to);
    if (!source || !target || source === target || target.rank < source.rank) return [];
    return [`${from} → ${to} (${source.name} may not import ${target.name})`];
  });
}

/** Each domain file's imports of packages the domain may not use, as "file → package". */
function forbiddenDomainPackages(): { readonly file: string; readonly specifier: string }[] {
  return codeFiles()
    .map(({ path, text }) => ({ file: repoPath(path), text }))
    .filter(({ file }) => file.startsWith('functions/domain/'))
    .flatMap(({ file, text }) =>
      specifiers(text)
        .filter((specifier) => DOMAIN_FORBIDDEN_PACKAGES.some((pattern) => pattern.test(specifier)))
        .map((specifier) => ({ file, specifier })),
    );
}

describe('layers', () => {
  it('has no import upward or sideways between the layers README’s folder map names', () => {
    const all = edges();
    expect(all.length).toBeGreaterThan(500);
    expect(upwardImports(all)).toEqual([]);
  });

  it('keeps domain code off adapters, the AWS SDK, infra/ and local/ (only its own ports)', () => {
    const outside = edges()
      .filter(({ from }) => from.startsWith('functions/domain/'))
      .filter(({ to }) => !to.startsWith('functions/domain/') && to !== 'cdk.json')
      .map(({ from, to }) => `${from} → ${to}`);
    expect(outside).toEqual([]);
    const sdk = forbiddenDomainPackages().filter(({ specifier }) => specifier.startsWith('@aws-sdk/'));
    expect(sdk).toEqual([]);
  });

  it('lets no further domain file touch the disk (node:fs), and drops a listed file once it does not', () => {
    const fsUsers = new Set(
      forbiddenDomainPackages()
        .filter(({ specifier }) => !specifier.startsWith('@aws-sdk/'))
        .map(({ file }) => file),
    );
    expect([...fsUsers].filter((file) => !DOMAIN_FILES_STILL_USING_FS.has(file))).toEqual([]);
    expect([...DOMAIN_FILES_STILL_USING_FS].filter((file) => !fsUsers.has(file))).toEqual([]);
  });

  it('finds an upward import when there is one (the check itself)', () => {
    expect(
      upwardImports([
        { from: 'functions/domain/purge/purge.ts', to: 'functions/adapters/dynamo-table.ts' },
        { from: 'local/cli/login.ts', to: 'infra/config.ts' },
        { from: 'functions/api/handler.ts', to: 'functions/domain/ports/index.ts' },
      ]),
    ).toEqual([
      'functions/domain/purge/purge.ts → functions/adapters/dynamo-table.ts (functions/domain may not import functions/adapters)',
      'local/cli/login.ts → infra/config.ts (local may not import infra)',
    ]);
  });
});
