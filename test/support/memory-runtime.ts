/**
 * A Runtime over the in-memory adapters, for tests that run a function's composition without servers:
 * the same shape the deployed and local runtimes have, with a clock the test controls and a job
 * starter that records what was started (and can run it).
 */
import { tmpdir } from 'node:os';
import {
  MemoryKeyStore,
  MemoryObjectStore,
  MemoryTable,
  MemoryUserDirectory,
} from '../../functions/adapters/memory/index.ts';
import type { Runtime } from '../../functions/adapters/runtime.ts';
import type { JobKind, JobStarter, QueryRunner } from '../../functions/domain/ports/index.ts';
import { defaultSettings, type PlatformSettings } from '../../functions/domain/settings.ts';

/** For runtimes whose tests run no SQL. */
export const noQueries: QueryRunner = {
  engine: 'duckdb',
  run: async () => {
    throw new Error('no queries in these tests');
  },
};

/** Records every job started; `run` hands each to a handler instead, when a test wants the job done. */
export class RecordingJobStarter implements JobStarter {
  readonly started: Array<{ kind: JobKind; event: Record<string, unknown> }> = [];
  run: ((kind: JobKind, event: Record<string, unknown>) => Promise<unknown>) | undefined;
  fail = false;

  async start(kind: JobKind, event: Readonly<Record<string, unknown>>): Promise<void> {
    if (this.fail) throw new Error('Lambda refused the invocation');
    const copy = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
    this.started.push({ kind, event: copy });
    await this.run?.(kind, copy);
  }
}

export interface MemoryRuntime extends Runtime {
  readonly objects: MemoryObjectStore;
  readonly table: MemoryTable;
  readonly keys: MemoryKeyStore;
  readonly jobs: RecordingJobStarter;
  readonly users: MemoryUserDirectory;
  /** Sets the clock; with `advance`, every reading moves it on by that many ms. */
  setNow(at: Date): void;
}

/** In-memory ports with a controllable clock and deterministic ids `00000000-0000-4000-8000-<n>`. */
export function memoryRuntime(
  options: {
    readonly now?: Date;
    readonly advance?: number;
    readonly settings?: PlatformSettings;
    readonly duckdb?: QueryRunner;
  } = {},
): MemoryRuntime {
  let n = 0;
  let now = (options.now ?? new Date('2026-05-01T09:00:00.000Z')).getTime();
  return {
    stage: 'test',
    region: 'ap-northeast-1',
    drRegion: undefined,
    settings: options.settings ?? defaultSettings,
    objects: new MemoryObjectStore(),
    table: new MemoryTable(),
    keys: new MemoryKeyStore(),
    duckdb: options.duckdb ?? noQueries,
    athena: undefined,
    dataKeyId: undefined,
    jobs: new RecordingJobStarter(),
    users: new MemoryUserDirectory(),
    replica: undefined,
    bucketName: (logical) => `kura-test-${logical}`,
    tmpDir: tmpdir(),
    clock: () => {
      const at = new Date(now);
      now += options.advance ?? 0;
      return at;
    },
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    setNow(at: Date) {
      now = at.getTime();
    },
  };
}
