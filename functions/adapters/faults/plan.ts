import {
  type FaultService,
  InjectedTimeoutError,
  SimulatedCrash,
  serverError,
  throttlingError,
} from './errors.ts';

/** The ports a plan can reach. */
export type FaultPort = 'objects' | 'table' | 'keys' | 'query';

/** What happens at a chosen call. */
export type Fault =
  | { readonly kind: 'throttle' }
  | { readonly kind: 'server-error' }
  /** The call fails with a TimeoutError; with `signal`, only once the signal aborts (a call that hangs until then). */
  | { readonly kind: 'timeout'; readonly signal?: AbortSignal }
  | { readonly kind: 'crash' }
  /** The call takes effect, then the process dies before it sees the answer. */
  | { readonly kind: 'crash-after' }
  /** A fault built by the test. */
  | { readonly kind: 'error'; readonly error: () => Error };

/** Where a fault fires: a port's method, optionally only for calls whose arguments match, at the nth match. */
export interface FaultRule {
  readonly port: FaultPort;
  readonly method: string;
  /** Only calls whose arguments satisfy this count as matches. */
  readonly when?: (...args: unknown[]) => boolean;
  /** The first matching call that fails (1-based). @default 1 */
  readonly nth?: number;
  /** How many consecutive matches fail from the nth on. @default 1 */
  readonly times?: number;
  readonly fault: Fault;
}

/** One call that went through a faulty port. */
export interface RecordedCall {
  readonly port: FaultPort;
  readonly method: string;
  readonly args: readonly unknown[];
  /** The fault injected into this call, if any. */
  readonly fault?: Fault['kind'];
}

const SERVICE: Record<FaultPort, FaultService> = {
  objects: 's3',
  table: 'dynamodb',
  keys: 'secretsmanager',
  query: 'athena',
};

/**
 * The faults of one scenario and the calls that went through the ports wrapped with it. Rules are
 * counted separately: each counts only the calls it matches.
 */
export class FaultPlan {
  readonly calls: RecordedCall[] = [];
  #rules: Array<{ rule: FaultRule; matches: number }> = [];
  #crashed = false;

  constructor(rules: readonly FaultRule[] = []) {
    for (const rule of rules) this.inject(rule);
  }

  /** Adds a rule. */
  inject(rule: FaultRule): this {
    this.#rules.push({ rule, matches: 0 });
    return this;
  }

  /** True once a crash fired: the "process" is dead. */
  get crashed(): boolean {
    return this.#crashed;
  }

  /** Calls that received a fault. */
  get fired(): RecordedCall[] {
    return this.calls.filter((call) => call.fault !== undefined);
  }

  /**
   * Called by the wrappers before each call; rejects with the fault when one fires. Resolves to
   * `'crash-after'` when the call must go through and the process die right after it (see `after`).
   */
  async before(
    port: FaultPort,
    method: string,
    args: readonly unknown[],
  ): Promise<'crash-after' | undefined> {
    if (this.#crashed) {
      this.calls.push({ port, method, args, fault: 'crash' });
      throw new SimulatedCrash(`process already dead: ${port}.${method} after a crash`);
    }
    let fault: Fault | undefined;
    for (const entry of this.#rules) {
      const { rule } = entry;
      if (rule.port !== port || rule.method !== method) continue;
      if (rule.when && !rule.when(...args)) continue;
      entry.matches += 1;
      const first = rule.nth ?? 1;
      if (fault === undefined && entry.matches >= first && entry.matches < first + (rule.times ?? 1)) {
        fault = rule.fault;
      }
    }
    this.calls.push({ port, method, args, ...(fault ? { fault: fault.kind } : {}) });
    if (fault?.kind === 'crash-after') return 'crash-after';
    if (fault) await this.#fire(port, method, fault);
    return undefined;
  }

  /** Called by the wrappers after a call that `before` marked `'crash-after'`: the process dies now. */
  after(port: FaultPort, method: string): never {
    this.#crashed = true;
    throw new SimulatedCrash(`simulated crash after ${port}.${method} took effect`);
  }

  async #fire(port: FaultPort, method: string, fault: Fault): Promise<never> {
    switch (fault.kind) {
      case 'throttle':
        throw throttlingError(SERVICE[port]);
      case 'server-error':
        throw serverError(SERVICE[port]);
      case 'timeout': {
        const { signal } = fault;
        if (signal && !signal.aborted) {
          await new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => resolve(), { once: true }),
          );
        }
        throw new InjectedTimeoutError(`${port}.${method} timed out`);
      }
      case 'crash':
      case 'crash-after':
        this.#crashed = true;
        throw new SimulatedCrash(`simulated crash at ${port}.${method}`);
      case 'error':
        throw fault.error();
    }
  }
}

/** Shorthands for rules. */
export const fault = {
  throttle: (): Fault => ({ kind: 'throttle' }),
  serverError: (): Fault => ({ kind: 'server-error' }),
  timeout: (signal?: AbortSignal): Fault => (signal ? { kind: 'timeout', signal } : { kind: 'timeout' }),
  crash: (): Fault => ({ kind: 'crash' }),
  crashAfter: (): Fault => ({ kind: 'crash-after' }),
};
