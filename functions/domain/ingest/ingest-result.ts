/** What one delivery of an S3 notification led to. */
import type { UploadStatus } from '../uploads/model.ts';
import type { RejectionReason } from './errors.ts';

/** What one delivery of an S3 notification led to. */
export type IngestResult =
  | { readonly kind: 'ignored'; readonly why: string }
  | { readonly kind: 'duplicate'; readonly status: UploadStatus }
  | { readonly kind: 'quarantined'; readonly reason: RejectionReason }
  /** Arrived for a company that may not send data (see `discardArrival`): deleted, recorded by hash. */
  | { readonly kind: 'discarded'; readonly reason: RejectionReason }
  | { readonly kind: 'processed'; readonly status: UploadStatus };
