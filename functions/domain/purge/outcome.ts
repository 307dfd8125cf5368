/** What a purge is asked to do (PurgeRequest) and what it answers (PurgeResult). */
import type { DeletionCertificate } from './certificate.ts';
import type { PurgePhase } from './checkpoint.ts';
import type { Residue } from './locations.ts';
import type { PurgePlan } from './plan.ts';
import type { PurgeActor } from './ports.ts';
import type { ResidueDeleted } from './residue.ts';

export interface PurgeBudget {
  /** Stop after this many delete batches (one deleteMany call, or one page of table rows). */
  readonly maxBatches?: number;
  /** Stop starting new batches at this instant (e.g. Lambda remaining time minus a margin). */
  readonly deadline?: Date;
}

export interface PurgeRequest {
  readonly tenantId: string;
  readonly now: Date;
  /** Report what would be deleted, delete nothing. */
  readonly dryRun?: boolean;
  readonly budget?: PurgeBudget;
  /**
   * Refs per deleteMany call, at most 1,000. Keep the default in production: a batch then spans one
   * whole ListObjectVersions page, which keeps the `objects` count exact even with adapters that yield
   * a page's versions before its delete markers. Smaller batches are for tests.
   * @default 1000
   */
  readonly batchSize?: number;
  /** Table rows per page. @default 100 */
  readonly tableBatchSize?: number;
  /** Who asked (the operator's subject), for the ledger. @default SCHEDULER_ACTOR */
  readonly actor?: PurgeActor;
}

export type PurgeResult =
  | {
      readonly outcome: 'purged';
      readonly done: true;
      readonly certificate: DeletionCertificate;
      readonly alreadyPurged: boolean;
      readonly batches: number;
      /** For a company purged before: what appeared after its certificate and was deleted now. */
      readonly residueDeleted?: ResidueDeleted | undefined;
      /**
       * The release without the tenant, started after the certificate: its job id, or undefined when it
       * could not be started (the tenant stays `releasePending` and the daily run asks again).
       */
      readonly releaseJobId?: string | undefined;
    }
  | {
      readonly outcome: 'in-progress';
      readonly done: false;
      readonly phase: PurgePhase;
      readonly batches: number;
      /** Set when verification found something left (e.g. written during the purge): deletion starts over. */
      readonly residue?: Residue | undefined;
    }
  | { readonly outcome: 'dry-run'; readonly done: true; readonly plan: PurgePlan };
