/**
 * Setup file of every test project (vitest.config.ts): what code under test writes straight to
 * process.stdout or process.stderr (Powertools' JSON logs and EMF metrics, which use a Console of their
 * own; CDK's "Bundling asset" lines) goes through the global console instead. Vitest ties console output
 * to the test that wrote it, and `silent: 'passed-only'` prints it only when that test (or its suite or
 * file) fails: a passing run shows the reporter alone, a failure still shows every line it logged.
 *
 * A test that captures the streams itself (vi.spyOn(process.stdout, 'write')) still sees every line:
 * its spy replaces this forwarding while it is installed.
 */
const FORWARDED = Symbol.for('kura.test.quietOutput');

type Write = typeof process.stdout.write;

function forwardTo(stream: NodeJS.WriteStream, log: (text: string) => void): void {
  const marked = stream as NodeJS.WriteStream & { [FORWARDED]?: true };
  if (marked[FORWARDED]) return;
  marked[FORWARDED] = true;
  const write = (
    chunk: string | Uint8Array,
    encodingOrCallback?: BufferEncoding | ((error?: Error | null) => void),
    callback?: (error?: Error | null) => void,
  ): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    // console adds its own line end.
    log(text.endsWith('\n') ? text.slice(0, -1) : text);
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (done) queueMicrotask(() => done(null));
    return true;
  };
  stream.write = write as Write;
}

forwardTo(process.stdout, (text) => console.log(text));
forwardTo(process.stderr, (text) => console.error(text));
