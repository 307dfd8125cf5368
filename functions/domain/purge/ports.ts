import type { KeyStore, ObjectStore, Table, UserDirectory } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';

/** Who asked for the purge: the identity provider's subject id and roles (never a name), or the scheduler. */
export interface PurgeActor {
  readonly subject: string;
  readonly roles: readonly string[];
}

/** The scheduled run's actor. */
export const SCHEDULER_ACTOR: PurgeActor = { subject: 'system:purge-schedule', roles: ['system'] };

/** What the purge writes to the ledger: ids, counts and hashes only, never personal data. */
export interface PurgeLedgerEntry {
  readonly type:
    | 'purge.started'
    | 'purge.refused'
    | 'purge.users_disabled'
    | 'purge.certified'
    | 'purge.residue_deleted';
  readonly tenantId: string;
  readonly actor: PurgeActor;
  readonly at: string;
  readonly detail: Readonly<Record<string, string | number | boolean | null>>;
}

/** The ledger as the purge needs it; `purgeLedger` (ledger.ts) adapts functions/domain/ledger to it. */
export interface PurgeLedger {
  append(entry: PurgeLedgerEntry): Promise<{ readonly seq: string | number; readonly hash: string }>;
  /** Whether the ledger already holds the `purge.certified` entry for this certificate. */
  hasCertification(tenantId: string, certificateId: string): Promise<boolean>;
}

/**
 * Starts a statistics release that no longer includes the purged tenant (a job of the release function)
 * and returns its job id without waiting for it.
 */
export type RequestRelease = (request: {
  readonly reason: 'tenant-purged';
  readonly tenantId?: string;
}) => Promise<{ readonly jobId: string }>;

/** Everything the purge reaches, injected so the same code runs in Lambda, locally and in tests. */
export interface PurgePorts {
  readonly objects: ObjectStore;
  readonly tables: Table;
  readonly keys: KeyStore;
  /** The company's user accounts: disabled before anything is deleted. */
  readonly users: UserDirectory;
  readonly ledger: PurgeLedger;
  readonly requestRelease: RequestRelease;
  /**
   * The disaster-recovery copies (objects in the stage's DR region), when the stage replicates: S3 never
   * replicates the deletion of a version, so the purge deletes the tenant's versions there too.
   */
  readonly replica?: { readonly objects: ObjectStore; readonly region: string } | undefined;
  readonly settings: PlatformSettings;
  /** Current time, for time budgets and end times. @default () => new Date() */
  readonly clock?: () => Date;
  /** Waits between retries. @default setTimeout-based sleep */
  readonly sleep?: (milliseconds: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
}
