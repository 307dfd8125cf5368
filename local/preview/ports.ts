/** What the preview page reads: the published release and the company's benchmark. */
import type { ObjectStore, Table } from '../../functions/domain/ports/index.ts';

export interface PreviewPorts {
  readonly objects: ObjectStore;
  readonly table: Table;
}
