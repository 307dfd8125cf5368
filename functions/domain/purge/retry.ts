/** Error names AWS services use for throttling. */
const THROTTLING_NAMES = new Set(['SlowDown', 'ThrottlingException', 'TooManyRequestsException']);

/** True for throttling errors and errors the AWS SDK marks `$retryable`. */
export function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $retryable } = error as { name?: unknown; $retryable?: unknown };
  return (typeof name === 'string' && THROTTLING_NAMES.has(name)) || Boolean($retryable);
}

export interface BackoffOptions {
  /** Attempts in all, the first included. @default 8 */
  readonly maxAttempts?: number;
  /** @default 100 */
  readonly baseMilliseconds?: number;
  /** @default 20_000 */
  readonly capMilliseconds?: number;
  readonly sleep: (milliseconds: number) => Promise<void>;
  readonly random: () => number;
}

/**
 * Runs `operation`, retrying retryable errors with exponential backoff and full jitter
 * (delay = random × min(cap, base × 2^attempt)), so many purges throttled at once spread out.
 */
export async function withBackoff<T>(operation: () => Promise<T>, options: BackoffOptions): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 8;
  const base = options.baseMilliseconds ?? 100;
  const cap = options.capMilliseconds ?? 20_000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isRetryable(error) || attempt + 1 >= maxAttempts) throw error;
      await options.sleep(Math.floor(options.random() * Math.min(cap, base * 2 ** attempt)));
    }
  }
}

export const defaultSleep = (milliseconds: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, milliseconds));
