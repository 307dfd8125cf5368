import { join } from 'node:path';
import { runCli } from '../../local/cli/main.ts';

/**
 * Runs `kura <args>` in this process against a data folder, as a user would type it (English, no
 * environment), capturing stdout and stderr (not a TTY): the exit code and what was written.
 */
export async function runKura(dataDir: string, ...args: string[]) {
  return runKuraWith(dataDir, {}, ...args);
}

/**
 * `runKura` with an environment and the lines a user would type at secret prompts (password, MFA code);
 * `prompts` records each prompt shown.
 */
export async function runKuraWith(
  dataDir: string,
  options: { readonly env?: NodeJS.ProcessEnv; readonly secrets?: readonly string[] },
  ...args: string[]
) {
  const out: string[] = [];
  const err: string[] = [];
  const prompts: string[] = [];
  const secrets = [...(options.secrets ?? [])];
  const code = await runCli(['node', 'kura', '--data-dir', dataDir, '--lang', 'en', ...args], {
    write: (text) => void out.push(text),
    writeErr: (text) => void err.push(text),
    // The token cache inside the test's data folder: a test never reads or writes ~/.kura.
    env: { KURA_CACHE_DIR: join(dataDir, 'token-cache'), ...options.env },
    readSecret: async (prompt) => {
      prompts.push(prompt);
      return secrets.shift() ?? '';
    },
  });
  return { code, stdout: out.join(''), stderr: err.join(''), prompts };
}
