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

/** Progress through named phases (a job queued, running, done), with the time it has taken. */
export interface PhaseProgress {
  /** Phase `index` of `phases` reached, named `label`. */
  update(index: number, label: string): void;
  stop(): void;
}

/**
 * A phase display. On a TTY it is a cli-progress bar with the phase's name and the seconds so far
 * (redrawn each second, so a long phase is visibly alive); elsewhere one plain line each time the
 * phase changes. Never written to stdout: the caller passes stderr (or a sink).
 */
export function createPhaseProgress(options: {
  readonly label: string;
  readonly phases: number;
  readonly stream?: (NodeJS.WritableStream & { isTTY?: boolean }) | LineSink;
}): PhaseProgress {
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY && 'on' in stream) {
    const started = Date.now();
    const bar = new SingleBar({
      format: `${options.label} [{bar}] {phase} {seconds}s`,
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: true,
      clearOnComplete: false,
      stream,
    });
    const seconds = () => String(Math.round((Date.now() - started) / 1000));
    let phase = '';
    bar.start(options.phases, 0, { phase, seconds: seconds() });
    const tick = setInterval(() => bar.update({ phase, seconds: seconds() }), 1000);
    tick.unref();
    return {
      update: (index, label) => {
        phase = label;
        bar.update(index, { phase, seconds: seconds() });
      },
      stop: () => {
        clearInterval(tick);
        bar.stop();
      },
    };
  }
  let last = '';
  return {
    update: (_index, label) => {
      if (label === last) return;
      last = label;
      stream.write(`${options.label}: ${label}\n`);
    },
    stop: () => undefined,
  };
}
