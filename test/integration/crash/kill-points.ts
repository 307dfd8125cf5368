/** Where a crash test kills the platform process: a port call, which matching call, what it means. */
export interface KillPoint {
  readonly port: 'objects' | 'table';
  readonly method: string;
  readonly matches: (args: readonly unknown[]) => boolean;
  /** The matching call (1-based) the process dies at, once armed. */
  readonly nth: number;
}

const item = (args: readonly unknown[]) => (args[1] ?? {}) as Record<string, unknown>;

/** The stages of issue 16: upload landed, validating, masking, release, purge. */
export const KILL_POINTS = {
  /** The object is in the landing bucket, the upload not yet claimed (REQUESTED). */
  landed: {
    port: 'table',
    method: 'put',
    matches: (args) => args[0] === 'uploads' && item(args).status === 'RECEIVED',
    nth: 1,
  },
  /** Claimed and VALIDATING: the raw Parquet about to be written. */
  validating: {
    port: 'objects',
    method: 'put',
    matches: (args) => args[0] === 'raw' && String(args[1]).startsWith('raw/'),
    nth: 1,
  },
  /** ACCEPTED, one pseudonymised month written, the next about to be. */
  masking: {
    port: 'objects',
    method: 'put',
    matches: (args) => args[0] === 'curated' && String(args[1]).includes('pseudonymised/'),
    nth: 2,
  },
  /** A release half-published: some of its objects in the stats bucket. */
  release: {
    port: 'objects',
    method: 'put',
    matches: (args) => args[0] === 'stats',
    nth: 3,
  },
  /** A purge part-way through deleting the tenant's objects. */
  purge: {
    port: 'objects',
    method: 'deleteMany',
    matches: () => true,
    nth: 2,
  },
} as const satisfies Record<string, KillPoint>;

export type KillStage = keyof typeof KILL_POINTS;
