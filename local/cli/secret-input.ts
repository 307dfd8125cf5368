/**
 * Reading a secret (a password, an MFA code): on a terminal, typed without echo; otherwise one line of
 * stdin per secret, so `printf '%s\n' "$PASSWORD" | kura login …` works in scripts. Never from a flag.
 */
import { createInterface } from 'node:readline';

/** Ctrl-C or Ctrl-D at a secret prompt. */
export class SecretInputCancelledError extends Error {
  override readonly name = 'SecretInputCancelledError';
}

type Input = NodeJS.ReadStream;

function readHidden(stdin: Input, promptStream: NodeJS.WritableStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    promptStream.write(prompt);
    let typed = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      promptStream.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003' || char === '\u0004') return finish(new SecretInputCancelledError('cancelled'));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** A secret reader over the process's stdin, prompting on `promptStream` (stderr, so stdout stays clean). */
export function stdinSecretReader(
  stdin: Input = process.stdin,
  promptStream: NodeJS.WritableStream = process.stderr,
): (prompt: string) => Promise<string> {
  let lines: AsyncIterator<string> | undefined;
  return async (prompt) => {
    if (stdin.isTTY) return readHidden(stdin, promptStream, prompt);
    lines ??= createInterface({ input: stdin, crlfDelay: Number.POSITIVE_INFINITY })[Symbol.asyncIterator]();
    const next = await lines.next();
    return next.done ? '' : next.value;
  };
}
