import { vi } from 'vitest';

/**
 * Runs `act` and returns every line written to stdout and stderr meanwhile (Powertools writes logs and
 * EMF there: errors and warnings to stderr, the rest to stdout).
 */
export async function stdoutOf(act: () => Promise<unknown> | unknown): Promise<string[]> {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(...String(typeof chunk === 'string' ? chunk : Buffer.from(chunk)).split('\n'));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    await act();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines.filter((line) => line.trim() !== '');
}
