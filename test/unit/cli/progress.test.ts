import { describe, expect, it } from 'vitest';
import { createPhaseProgress } from '../../../local/progress.ts';

/** A stream that says it is a terminal, capturing what is drawn. */
function fakeTerminal() {
  const written: string[] = [];
  const stream = Object.assign(
    {
      isTTY: true as const,
      columns: 100,
      write: (text: string) => {
        written.push(text);
        return true;
      },
      on: () => stream,
      removeListener: () => stream,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
    },
    {},
  );
  return { stream: stream as unknown as NodeJS.WritableStream & { isTTY: true }, written };
}

describe('createPhaseProgress', () => {
  it('draws a bar through the phases on a terminal', () => {
    // Prepare
    const { stream, written } = fakeTerminal();

    // Act
    const progress = createPhaseProgress({ label: 'purge', phases: 3, stream });
    progress.update(1, '実行中');
    progress.update(3, '完了');
    progress.stop();

    // Assess
    const drawn = written.join('');
    expect(drawn).toContain('purge');
    expect(drawn).toContain('█');
    expect(drawn).toContain('完了');
  });

  it('writes one plain line per phase elsewhere (a pipe, a log), never a bar', () => {
    // Prepare
    const lines: string[] = [];
    const sink = { write: (text: string) => lines.push(text) };

    // Act
    const progress = createPhaseProgress({ label: 'purge', phases: 3, stream: sink });
    progress.update(1, '実行中');
    progress.update(1, '実行中');
    progress.update(3, '完了');
    progress.stop();

    // Assess
    expect(lines).toEqual(['purge: 実行中\n', 'purge: 完了\n']);
    expect(lines.join('')).not.toMatch(/[█░]/);
  });
});
