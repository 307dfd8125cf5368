import { SingleBar } from 'cli-progress';

/** Progress of a counted task: a bar on a terminal, a few plain lines otherwise (logs, CI, tests). */
export interface Progress {
  update(done: number, detail?: string): void;
  stop(): void;
}

export interface ProgressOptions {
  readonly label: string;
  readonly total: number;
  /** `bytes` formats the counts as sizes. */
  readonly unit?: 'items' | 'bytes';
  /** Where to draw: a terminal stream gets a bar, anything else plain lines. @default process.stderr */
  readonly stream?: (NodeJS.WritableStream & { isTTY?: boolean }) | LineSink;
}

/** Somewhere to write lines that is not a terminal (a test's buffer, a log). */
export interface LineSink {
  readonly isTTY?: false;
  write(text: string): unknown;
}

export const formatBytes = (n: number) =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;

/**
 * A progress display. On a TTY it is a cli-progress bar; elsewhere it writes one line at each quarter
 * and at the end, so logs stay short and the final count is always there.
 */
export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const format = options.unit === 'bytes' ? formatBytes : String;
  if (stream.isTTY && 'on' in stream) {
    const bar = new SingleBar({
      format: `${options.label} [{bar}] {percentage}% {done}/{all} {detail}`,
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: true,
      clearOnComplete: false,
      stream,
    });
    bar.start(options.total, 0, { done: format(0), all: format(options.total), detail: '' });
    return {
      update: (done, detail = '') =>
        bar.update(done, { done: format(done), all: format(options.total), detail }),
      stop: () => bar.stop(),
    };
  }
  let lastQuarter = -1;
  let last = 0;
  let stopped = false;
  const line = (done: number, detail?: string) =>
    stream.write(`${options.label}: ${format(done)}/${format(options.total)}${detail ? ` ${detail}` : ''}\n`);
  return {
    update(done, detail) {
      last = done;
      const quarter = options.total > 0 ? Math.floor((done / options.total) * 4) : 4;
      if (quarter > lastQuarter && done < options.total) {
        lastQuarter = quarter;
        line(done, detail);
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      line(last);
    },
  };
}
