/** What masking (pseudonymisation, facts, anonymisation) needs from the outside world. */
import type { KeyStore, ObjectStore, Table } from '../ports/index.ts';
import type { PlatformSettings } from '../settings.ts';

/** The ports masking needs. Buckets and tables are logical names. */
export interface MaskingPorts {
  readonly objects: ObjectStore;
  readonly table: Table;
  readonly keys: KeyStore;
  readonly settings?: PlatformSettings;
  /** For the records' timestamps. @default the system clock */
  readonly clock?: () => Date;
  /**
   * The disaster-recovery copies of the replicated buckets (deployed stages with a DR region): what
   * masking deletes again (an upload withdrawn meanwhile) is deleted there too.
   */
  readonly replica?: { readonly objects: ObjectStore } | undefined;
}
