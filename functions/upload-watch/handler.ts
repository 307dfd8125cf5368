import { deployedRuntime } from '../adapters/runtime.ts';
import { findStuckUploads, type StuckUpload } from '../domain/uploads/stuck.ts';
import { observability, withObservability } from '../observability/observability.ts';
import { recordOutcome } from '../observability/outcomes.ts';
import { composeUploadWatch, UPLOAD_WATCH_NEEDS, type UploadWatchPorts } from './runtime.ts';

const { logger, metrics } = observability('kura-upload-watch');

/**
 * Every five minutes: the uploads that should have moved on and have not (domain/uploads/stuck.ts),
 * published as the `UploadsStuck` metric (alarm: any) and logged by id and phase for the operator
 * (docs/OPERATIONS.md, "Stuck uploads").
 */
export function createUploadWatchHandler(load: () => UploadWatchPorts) {
  return withObservability('kura-upload-watch', async (): Promise<{ stuck: StuckUpload[] }> => {
    const ports = load();
    const stuck = await findStuckUploads(ports, ports.clock());
    if (stuck.length > 0) logger.warn('uploads stuck', { stuck });
    recordOutcome(metrics, { kind: 'uploads-stuck', count: stuck.length });
    return { stuck };
  });
}

/** The deployed function, scheduled every five minutes. */
export const handler = createUploadWatchHandler(() =>
  composeUploadWatch(deployedRuntime(UPLOAD_WATCH_NEEDS)),
);
