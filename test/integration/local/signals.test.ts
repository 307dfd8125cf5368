import { type ChildProcess, spawn } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PLATFORM_INFO_FILE } from '../../../local/cli/context.ts';

/**
 * `npm start` stops when asked, whoever asks: SIGTERM to npm (a service manager, `kill <npm pid>`) used
 * to end npm and its shell and leave the platform serving, orphaned; Ctrl+C (SIGINT to the platform)
 * stops it gracefully with exit 0.
 */
const folders: string[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of folders) await rm(dir, { recursive: true, force: true });
});

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(check: () => Promise<boolean> | boolean, what: string, ms = 60_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `npm start -- --no-seed` over a fresh data folder; resolves once the platform serves. */
async function npmStart() {
  const dataDir = await mkdtemp(join(tmpdir(), 'kura-signals-'));
  folders.push(dataDir);
  const npm = spawn('npm', ['start', '--', '--no-seed'], {
    env: { ...process.env, KURA_DATA_DIR: dataDir, KURA_PORT: '0', LANG: 'en_US.UTF-8' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(npm);
  let output = '';
  npm.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  npm.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    npm.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const info = join(dataDir, PLATFORM_INFO_FILE);
  await until(() => exists(info), 'the platform serves');
  const { pid } = JSON.parse(await readFile(info, 'utf8')) as { pid: number };
  return { npm, pid, info, exited, output: () => output };
}

describe('npm start and signals', () => {
  it('stops the platform when npm is sent SIGTERM, instead of leaving it serving orphaned', async () => {
    // Prepare
    const started = await npmStart();

    // Act
    started.npm.kill('SIGTERM');
    await started.exited;
    await until(() => !alive(started.pid), 'the platform process ends', 30_000);

    // Assess
    expect(alive(started.pid)).toBe(false);
    expect(await exists(started.info)).toBe(false); // removed by the graceful stop
  }, 120_000);

  it('says when it is ready, then stops gracefully on Ctrl+C (SIGINT to the platform) and exits 0', async () => {
    // Prepare
    const started = await npmStart();
    await until(() => started.output().includes('Ready. Get a token'), 'the platform says it is ready');

    // Act
    process.kill(started.pid, 'SIGINT');
    const exit = await started.exited;
    await until(() => !alive(started.pid), 'the platform process ends', 30_000);

    // Assess
    expect(exit.code).toBe(0);
    expect(started.output()).toMatch(/SIGINT received: finishing what is in progress/);
    expect(await exists(started.info)).toBe(false);
  }, 120_000);
});
