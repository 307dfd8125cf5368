import { runCli } from '../../local/cli/main.ts';

/**
 * Runs `kura <args>` in this process against a data folder, as a user would type it (English, no
 * environment), capturing stdout and stderr (not a TTY): the exit code and what was written.
 */
export async function runKura(dataDir: string, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['node', 'kura', '--data-dir', dataDir, '--lang', 'en', ...args], {
    write: (text) => void out.push(text),
    writeErr: (text) => void err.push(text),
    env: {},
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}
