/**
 * Benchmark 5: Lambda packages. Every `functions/<name>/handler.ts` bundled with esbuild exactly as
 * KuraFunction bundles it (infra/constructs/kura-function.ts: ESM, node platform, minify, externals
 * `@aws-sdk/*` and `@duckdb/*`, the createRequire banner), with a metafile: bundle size, and module
 * import time in a fresh node process (median of several), against an empty handler bundled the same
 * way. The DuckDB layer load (import @duckdb/node-api + an in-memory instance) is reported apart.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { REPO_ROOT, runNode } from './lib/child.ts';
import { type Figure, median, round, type Section } from './lib/report.ts';

export interface PackagesBenchOptions {
  readonly dir: string;
  /** Fresh-process imports per bundle. @default 7 */
  readonly imports?: number;
}

/** KuraFunction's bundling options, translated to esbuild (target node24 is esbuild's own name). */
const KURA_FUNCTION_BUNDLING: BuildOptions & { metafile: true } = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  mainFields: ['module', 'main'],
  minify: true,
  external: ['@aws-sdk/*', '@duckdb/*'],
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  metafile: true,
  logLevel: 'silent',
};

/** The environment a deployed function starts with (names only; nothing here is secret). */
const FUNCTION_ENV = {
  AWS_REGION: 'ap-northeast-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  KURA_STAGE: 'bench',
  POWERTOOLS_METRICS_NAMESPACE: 'Kura',
  POWERTOOLS_DEV: 'false',
};

/** Imports a module in this fresh process and prints the milliseconds it took. */
const IMPORT_PROBE = `
const started = performance.now();
await import(process.argv[1]);
const ms = performance.now() - started;
console.log(JSON.stringify({ ms }));
`;

const DUCKDB_PROBE = `
const started = performance.now();
const { DuckDBInstance } = await import('@duckdb/node-api');
const imported = performance.now();
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run('SELECT 1');
const ms = performance.now() - started;
console.log(JSON.stringify({ ms, importMs: imported - started }));
`;

/** The three packages (or `kura` for our own code) that take most bytes of a bundle, from its metafile. */
function largestPackages(inputs: Record<string, { bytesInOutput: number }>): string {
  const byPackage = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const name = match?.[1] ?? 'kura';
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  return [...byPackage.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, bytes]) => `${name} ${Math.round(bytes / 1024)} KiB`)
    .join(', ');
}

export async function runPackagesBenchmark(options: PackagesBenchOptions): Promise<Section> {
  const started = performance.now();
  const imports = options.imports ?? 7;
  const out = join(options.dir, 'packages');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  // Bundles import the SDK from node_modules, as the Lambda runtime provides it.
  await symlink(join(REPO_ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
  await writeFile(join(out, 'package.json'), '{"type":"module"}\n');
  const functions = readdirSync(join(REPO_ROOT, 'functions'))
    .filter((name) => existsSync(join(REPO_ROOT, 'functions', name, 'handler.ts')))
    .sort();
  const emptyEntry = join(out, 'empty-handler.ts');
  await writeFile(emptyEntry, 'export const handler = async () => ({});\n');
  const entries = [
    { name: '(empty handler)', entry: emptyEntry },
    ...functions.map((name) => ({ name, entry: join(REPO_ROOT, 'functions', name, 'handler.ts') })),
  ];
  const bundles: {
    name: string;
    bytes: number;
    importMs: number;
    sdkMs: number;
    inputs: number;
    largest: string;
    sdk: string[];
  }[] = [];
  for (const { name, entry } of entries) {
    const outfile = join(out, name === '(empty handler)' ? 'empty' : name, 'index.mjs');
    const result = await build({ ...KURA_FUNCTION_BUNDLING, entryPoints: [entry], outfile });
    await writeFile(`${outfile}.meta.json`, JSON.stringify(result.metafile));
    const output = Object.values(result.metafile.outputs)[0];
    // The external SDK modules the bundle imports, alone: how much of its import time is the SDK's.
    const sdk = [
      ...new Set(
        (output?.imports ?? [])
          .filter((i) => i.external && i.path.startsWith('@aws-sdk/'))
          .map((i) => (i.kind === 'dynamic-import' ? i.path : `${i.path} (static)`)),
      ),
    ].sort();
    await writeFile(
      join(dirname(outfile), 'sdk-only.mjs'),
      [...new Set(sdk.map((m) => m.replace(' (static)', '')))].map((m) => `import '${m}';\n`).join(''),
    );
    bundles.push({
      name,
      bytes: statSync(outfile).size,
      importMs: 0,
      sdkMs: 0,
      sdk,
      inputs: Object.keys(result.metafile.inputs).length,
      largest: largestPackages(output?.inputs ?? {}),
    });
  }
  // Interleaved imports (each bundle once per pass), so drift hits every bundle alike.
  const times = new Map<string, number[]>(bundles.map((b) => [b.name, []]));
  const sdkTimes = new Map<string, number[]>(bundles.map((b) => [b.name, []]));
  const folder = (name: string) => join(out, name === '(empty handler)' ? 'empty' : name);
  const probe = (path: string) =>
    runNode<{ ms: number }>(['--input-type=module', '-e', IMPORT_PROBE, path], out, FUNCTION_ENV).ms;
  for (let pass = 0; pass < imports; pass++) {
    for (const bundle of bundles) {
      times.get(bundle.name)?.push(probe(join(folder(bundle.name), 'index.mjs')));
      if (bundle.sdk.length > 0)
        sdkTimes.get(bundle.name)?.push(probe(join(folder(bundle.name), 'sdk-only.mjs')));
    }
  }
  for (const bundle of bundles) {
    bundle.importMs = median(times.get(bundle.name) ?? []);
    bundle.sdkMs = bundle.sdk.length > 0 ? median(sdkTimes.get(bundle.name) ?? []) : 0;
  }
  const duckRuns = Array.from({ length: 5 }, () =>
    runNode<{ ms: number; importMs: number }>(['--input-type=module', '-e', DUCKDB_PROBE], out, FUNCTION_ENV),
  );
  const empty = bundles[0];
  if (!empty) throw new Error('no empty-handler bundle');
  const figures: Figure[] = [];
  for (const bundle of bundles.slice(1)) {
    figures.push(
      {
        benchmark: `5. Lambda ${bundle.name}`,
        figure: 'bundle size (minified, no source map)',
        value: round(bundle.bytes / 1024, 1),
        unit: 'KiB',
        baseline: 'empty handler',
        baselineValue: round(empty.bytes / 1024, 2),
        ratio: round(bundle.bytes / empty.bytes, 0),
        target: '< 1 MB (1,000,000 bytes)',
        met: bundle.bytes < 1_000_000,
      },
      {
        benchmark: `5. Lambda ${bundle.name}`,
        figure: `module import time (median of ${imports})`,
        value: round(bundle.importMs, 1),
        unit: 'ms',
        baseline: 'empty handler',
        baselineValue: round(empty.importMs, 2),
        ratio: round(bundle.importMs / empty.importMs, 1),
        target: '< 150 ms',
        met: bundle.importMs < 150,
      },
    );
  }
  const duckMs = median(duckRuns.map((r) => r.ms));
  figures.push({
    benchmark: '5. DuckDB layer',
    figure: 'import @duckdb/node-api + in-memory instance + SELECT 1 (median of 5)',
    value: round(duckMs, 1),
    unit: 'ms',
    baseline: 'empty handler import',
    baselineValue: round(empty.importMs, 2),
    ratio: round(duckMs / empty.importMs, 1),
  });
  const notes = [
    `Bundled with esbuild ${(await import('esbuild')).version} and KuraFunction's options (format esm, platform node, target node24, mainFields module/main, minify, externals @aws-sdk/* and @duckdb/*, createRequire banner); sizes are the .mjs without its source map (KuraFunction also ships a map, which Lambda does not load unless --enable-source-maps reads it on an error). Modules bundled per function: ${bundles.map((b) => `${b.name} ${b.inputs}`).join(', ')}.`,
    `Largest contributors (esbuild metafile, bytes in output): ${bundles
      .slice(1)
      .map((b) => `${b.name}: ${b.largest}`)
      .join('; ')}.`,
    `The external AWS SDK modules each bundle references, imported alone in a fresh process (median); a module marked (static) is loaded at module import and so is part of the import time above, the others are loaded with import() by the adapter that first uses them, so a cold start pays for them in the first invocation that needs them, not in the import time: ${bundles
      .slice(1)
      .map(
        (b) =>
          `${b.name} ${round(b.sdkMs, 1)} ms (${b.sdk.map((m) => m.replace('@aws-sdk/', '')).join(', ')})`,
      )
      .join('; ')}. The SDK ships with the Lambda runtime, so this share is paid whatever the bundle holds.`,
    `Import time: \`await import(bundle)\` in a fresh \`node\` process (process start-up excluded), ${imports} interleaved passes, median; the SDK resolves from node_modules as the Lambda runtime provides it; environment: fake region and credentials only. Handlers build their ports lazily on the first event, so this is the cold-start module cost, not a first invocation.`,
    `DuckDB layer: import of @duckdb/node-api (native binding) ${round(median(duckRuns.map((r) => r.importMs)), 1)} ms median, plus DuckDBInstance.create(':memory:'), connect and SELECT 1; functions that do not attach the layer never pay it.`,
  ];
  return { name: 'Lambda packages', figures, notes, seconds: (performance.now() - started) / 1000 };
}
