/**
 * The local platform in a process of its own, to be killed for real (SIGKILL) at a chosen point.
 *
 * Environment: KURA_DATA_DIR (the data folder), KURA_KILL_AT (a stage of KILL_POINTS, or empty for none).
 * Once the file `<dataDir>/arm-kill` exists, the first port call matching the stage's point waits until
 * the parent has created `<dataDir>/kill-now`, then the process sends itself SIGKILL before the call takes
 * effect: no handler, no `finally`, no flush runs, exactly as when the machine loses power. Prints one JSON
 * line `{ apiUrl }` when it serves.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Runtime } from '../../../functions/adapters/runtime.ts';
import { localTmpDir, startLocalPlatform } from '../../../local/platform.ts';
import { KILL_POINTS, type KillStage } from './kill-points.ts';

const dataDir = resolve(process.env.KURA_DATA_DIR ?? '');
const stage = (process.env.KURA_KILL_AT ?? '') as KillStage | '';
process.env.TMPDIR = localTmpDir(dataDir);
process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const armed = () => existsSync(`${dataDir}/arm-kill`);

/** Kills this process when `matches` holds for the nth matching call after arming. */
function killer(port: 'objects' | 'table') {
  const point = stage ? KILL_POINTS[stage] : undefined;
  let seen = 0;
  return async (method: string, args: readonly unknown[]) => {
    if (!point || point.port !== port || point.method !== method || !armed()) return;
    if (!point.matches(args)) return;
    seen++;
    if (seen !== point.nth) return;
    // Tell the parent where it stopped, then wait for its go (so it can land more uploads first).
    process.stdout.write(`${JSON.stringify({ reached: stage })}\n`);
    while (!existsSync(`${dataDir}/kill-now`)) await new Promise((r) => setTimeout(r, 20));
    process.kill(process.pid, 'SIGKILL');
    await new Promise(() => undefined);
  };
}

function wrap<T extends object>(target: T, port: 'objects' | 'table'): T {
  const kill = killer(port);
  return new Proxy(target, {
    get(object, name, receiver) {
      const value = Reflect.get(object, name, receiver);
      if (typeof value !== 'function') return value;
      if (name === 'list' || name === 'listVersions') return value.bind(object); // async iterables
      return async (...args: unknown[]) => {
        await kill(String(name), args);
        return value.apply(object, args);
      };
    },
  });
}

const decorate = (ports: Runtime): Runtime => ({
  ...ports,
  objects: wrap(ports.objects, 'objects'),
  table: wrap(ports.table, 'table'),
});

const platform = await startLocalPlatform({
  dataDir,
  port: 0,
  seed: false,
  onError: () => undefined,
  retryBackoffMs: () => 50,
  decorate,
});
process.stdout.write(`${JSON.stringify({ apiUrl: platform.apiUrl })}\n`);
const stop = () => {
  platform.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
