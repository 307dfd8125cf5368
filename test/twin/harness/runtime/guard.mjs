/**
 * Lambda's filesystem: read-only except /tmp. Every write through `fs` outside TMPDIR (the twin points
 * it at this environment's own folder, as os.tmpdir() reads it) fails with EROFS, as it would on Lambda.
 * Writes by native code (DuckDB) bypass this; the twin also checks that nothing appears in the task root.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { resolve } from 'node:path';

const writable = resolve(process.env.TMPDIR ?? '/tmp');
const allowed = (path) => {
  if (typeof path !== 'string' && !(path instanceof URL) && !Buffer.isBuffer(path)) return true; // a file descriptor
  const full = resolve(path instanceof URL ? path.pathname : String(path));
  return full === writable || full.startsWith(`${writable}/`) || full.startsWith('/dev/');
};
const refuse = (path) => {
  const error = new Error(
    `EROFS: read-only file system, write '${String(path)}' (Lambda can write only under /tmp)`,
  );
  error.code = 'EROFS';
  error.errno = -30;
  return error;
};
const writeFlags = (flags) => typeof flags === 'string' && /[wa+]/.test(flags);

const pathOps = [
  'writeFile',
  'appendFile',
  'mkdir',
  'mkdtemp',
  'rm',
  'rmdir',
  'unlink',
  'truncate',
  'symlink',
  'chmod',
  'utimes',
];
const twoPathOps = ['rename', 'copyFile', 'cp', 'link'];

function guardSync(target, name, check) {
  const original = target[name];
  if (typeof original !== 'function') return;
  target[name] = function guarded(...args) {
    const bad = check(args);
    if (bad !== undefined) throw refuse(bad);
    return original.apply(this, args);
  };
}
function guardCallback(target, name, check) {
  const original = target[name];
  if (typeof original !== 'function') return;
  target[name] = function guarded(...args) {
    const bad = check(args);
    if (bad !== undefined) {
      const callback = args.findLast((arg) => typeof arg === 'function');
      if (callback) return process.nextTick(() => callback(refuse(bad)));
      throw refuse(bad);
    }
    return original.apply(this, args);
  };
}
function guardPromise(target, name, check) {
  const original = target[name];
  if (typeof original !== 'function') return;
  target[name] = function guarded(...args) {
    const bad = check(args);
    if (bad !== undefined) return Promise.reject(refuse(bad));
    return original.apply(this, args);
  };
}

const firstPath = (args) => (allowed(args[0]) ? undefined : args[0]);
const secondPath = (args) => (allowed(args[1]) ? undefined : args[1]);
const openCheck = (args) => (writeFlags(args[1]) && !allowed(args[0]) ? args[0] : undefined);
const streamCheck = (args) => (allowed(args[0]) ? undefined : args[0]);

for (const name of pathOps) {
  guardSync(fs, `${name}Sync`, firstPath);
  guardCallback(fs, name, firstPath);
  guardPromise(fs.promises, name, firstPath);
}
for (const name of twoPathOps) {
  guardSync(fs, `${name}Sync`, secondPath);
  guardCallback(fs, name, secondPath);
  guardPromise(fs.promises, name, secondPath);
}
guardSync(fs, 'openSync', openCheck);
guardCallback(fs, 'open', openCheck);
guardPromise(fs.promises, 'open', openCheck);
guardSync(fs, 'createWriteStream', streamCheck);
syncBuiltinESMExports();
