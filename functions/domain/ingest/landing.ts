import { isDatasetName } from '../catalog/index.ts';
import type { DatasetName } from '../catalog/schema.ts';

/** Where a landing object says it belongs: landing/<tenantId>/<dataset>/<uploadId>/<fileName>. */
export interface LandingAddress {
  readonly tenantId: string;
  readonly dataset: DatasetName;
  readonly uploadId: string;
  readonly fileName: string;
}

/** Parses a landing key; undefined when the key does not have the landing layout (see zones.ts). */
export function parseLandingKey(key: string): LandingAddress | undefined {
  const parts = key.split('/');
  if (parts.length !== 5 || parts[0] !== 'landing') return undefined;
  const [, tenantId, dataset, uploadId, fileName] = parts;
  if (!tenantId || !dataset || !uploadId || !fileName || !isDatasetName(dataset)) return undefined;
  return { tenantId, dataset, uploadId, fileName };
}
