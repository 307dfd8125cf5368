import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATISTICS } from '../../../functions/domain/stats/statistics.ts';
import { DEMO_MARKER } from '../../../local/demo/seed-demo.ts';
import { demoPlan } from '../../../local/synthetic/plan.ts';

const run = promisify(execFile);
const COMPANIES = 3;

/** `npm start -- --once` as a script or CI runs it: a fresh process over a fresh data folder. */
async function startOnce(dataDir: string) {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'local/start.ts', '--once'], {
      env: {
        ...process.env,
        KURA_DATA_DIR: dataDir,
        KURA_PORT: '0',
        KURA_DEMO_COMPANIES: String(COMPANIES),
        LANG: 'en_US.UTF-8',
      },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kura-start-once-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start -- --once', () => {
  it('seeds the demo through the upload path, publishes a release, prints the summary and exits 0', async () => {
    // Prepare
    const plan = demoPlan({ companies: COMPANIES });
    const broken = plan.files.filter((f) => f.broken).length;

    // Act
    const first = await startOnce(dataDir);
    const marker = JSON.parse(await readFile(join(dataDir, DEMO_MARKER), 'utf8'));

    // Assess
    expect(first.stderr).not.toMatch(/did not come out as planned/);
    expect(first.code).toBe(0);
    const counts = /(\d+) uploads — (\d+) accepted, (\d+) partially accepted, (\d+) rejected/.exec(
      first.stdout,
    );
    expect(counts?.slice(1).map(Number)).toEqual([
      plan.files.length,
      marker.counts.accepted,
      marker.counts.partiallyAccepted,
      broken,
    ]);
    expect(marker.counts.accepted + marker.counts.partiallyAccepted).toBe(plan.files.length - broken);
    expect(first.stdout).toMatch(new RegExp(`${STATISTICS.length} statistics, \\d+ of \\d+ cells published`));
    expect(first.stdout).toContain('x (suppressed)');
    expect(first.stdout).toContain('overtime_hours_monthly');
    expect(marker.tenants).toEqual(plan.companies.map((c) => c.tenantId));
    // The phases in the reader's language, not as code names
    expect(first.stdout).toContain('  Registering the companies…');
    expect(first.stdout).toContain('  Publishing the statistics…');
    expect(first.stdout).not.toMatch(/^ {2}(tenants|uploads|ingest|release)…$/m);
  }, 300_000);

  it('skips seeding on a second start over the same data folder', async () => {
    // Act
    const second = await startOnce(dataDir);

    // Assess
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('The demo is already seeded.');
    expect(second.stdout).not.toMatch(/uploads —/);
  }, 120_000);
});
