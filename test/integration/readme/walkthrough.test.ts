/**
 * README's walkthrough, run as written: every ```sh block that README marks with `<!-- walkthrough -->` is
 * taken from README itself (so the two cannot drift), joined in order and run by bash against a local
 * platform, from the repository root as a reader would, with `npx kura`. The reader's terminal is
 * played by the environment: the platform's data folder and port (`KURA_DATA_DIR`, `KURA_PORT`, both
 * documented), and TMPDIR, so the scratch folder (`mktemp -d`) lands in this test's own folder.
 * Afterwards the repository must look exactly as before: nothing written, nothing ignored added.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../../local/demo/seed-demo.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../local/platform.ts';
import { demoPlan } from '../../../local/synthetic/plan.ts';

const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
const README = join(REPOSITORY, 'README.md');

/** The ```sh blocks README marks with `<!-- walkthrough -->` on the line before (blank lines allowed). */
function walkthroughBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const pattern = /<!-- walkthrough -->\n(?:[ \t]*\n)*```sh\n([\s\S]*?)\n```/g;
  for (const match of markdown.matchAll(pattern)) blocks.push(match[1] ?? '');
  return blocks;
}

/** What git reports of the repository: changed and untracked files, and ignored ones at the top. */
function repositoryState(): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('git', ['status', '--porcelain', '--ignored'], { cwd: REPOSITORY }, (error, stdout) =>
      error ? reject(error) : resolve(stdout.split('\n').filter(Boolean).sort()),
    );
  });
}

/** The tools README's walkthrough names that this machine lacks. */
function toolsMissing(tools: readonly string[]): Promise<string[]> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', 'for t in "$@"; do command -v "$t" >/dev/null || echo "$t"; done', '_', ...tools],
      (_e, out) => resolve(out.split('\n').filter(Boolean)),
    );
  });
}

/** Folders other test tiers may create while this runs (build and browser output), never README's. */
const OTHER_TIERS = ['!! cdk.out/', '!! test-results/'];

let root: string;
let platform: LocalPlatform;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kura-readme-'));
  platform = await startLocalPlatform({ dataDir: join(root, 'data'), port: 0, onError: () => undefined });
  // README's statistics and benchmark need a release with demo-0001 in it.
  const plan = demoPlan({
    companies: 2,
    datasets: ['employees', 'attendance', 'payroll', 'sales'],
    withRejectedFile: false,
  });
  const summary = await seedDemo(platform, {
    plan,
    progress: () => ({ update: () => undefined, stop: () => undefined }),
  });
  if (!summary.ok) throw new Error(`demo seed failed: ${JSON.stringify(summary.counts)}`);
}, 180_000);

afterAll(async () => {
  await platform?.stop();
  await rm(root, { recursive: true, force: true });
});

describe("README's walkthrough", () => {
  it('runs as written in a scratch folder and leaves the repository as it was', async () => {
    // Prepare
    const blocks = walkthroughBlocks(await readFile(README, 'utf8'));
    const scratchParent = join(root, 'tmp');
    await mkdir(scratchParent);
    const before = await repositoryState();
    const {
      FORCE_TTY: _tty,
      VITEST: _vitest,
      KURA_LANG: _lang,
      KURA_TENANT: _tenant,
      ...inherited
    } = process.env;

    const missing = await toolsMissing(['curl', 'jq', 'openssl']);
    expect(missing, `README's walkthrough needs ${missing.join(', ')} (README, Quick start)`).toEqual([]);

    // Act: one bash, as one terminal, stopping at the first command that fails
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const bash = spawn('bash', ['-euo', 'pipefail', '-c', blocks.join('\n')], {
        cwd: REPOSITORY,
        env: {
          ...inherited,
          KURA_DATA_DIR: platform.dataDir,
          KURA_PORT: new URL(platform.apiUrl).port,
          TMPDIR: scratchParent,
          LANG: 'C.UTF-8',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      bash.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      bash.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      bash.once('close', (code) =>
        resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
      );
    });
    const after = await repositoryState();

    // Assess: README still marks its walkthrough (the curl block, the CLI block, support access)
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    expect(blocks.join('\n')).toMatch(/curl -s -X POST/);
    expect(blocks.join('\n')).toMatch(/npx kura support export/);
    // Every command succeeded, in the reader's (Japanese) terminal
    expect(run.code, `bash exited ${run.code}; its stderr ends:\n${run.stderr.slice(-4000)}`).toBe(0);
    expect(run.stdout).toMatch(/^204$/m);
    expect(run.stdout).toContain('取り下げました');
    expect(run.stdout).toContain('台帳は正常です');
    // What the walkthrough wrote is in its scratch folder, the personal-data export readable only by its owner
    // (beside it, tsx's compile cache: tsx-<uid>)
    const scratches = (await readdir(scratchParent)).filter((name) => name.startsWith('tmp.'));
    expect(scratches).toHaveLength(1);
    const scratch = scratches[0];
    const written = (await readdir(join(scratchParent, scratch ?? ''))).sort();
    expect(written).toEqual(
      ['failing-rows.csv', 'form.txt', 'sales.csv', 'ticket.json', '売上.csv', '従業員.csv'].sort(),
    );
    const exported = join(scratchParent, scratch ?? '', 'failing-rows.csv');
    expect((await stat(exported)).mode & 0o777).toBe(0o600);
    expect(await readFile(exported, 'utf8')).toMatch(/line,column,code/);
    // …and nothing in the repository changed, not even an ignored file
    const added = after.filter((line) => !before.includes(line) && !OTHER_TIERS.includes(line));
    expect(added).toEqual([]);
    expect(after.filter((line) => !line.startsWith('!!'))).toEqual(
      before.filter((line) => !line.startsWith('!!')),
    );
  }, 300_000); // about twenty `npx kura` processes and three uploads on a shared machine
});
