/**
 * `GET /about/processing` (issue 11.5): where a customer's data is stored, which subprocessors handle
 * it and how long each zone keeps it, so a company can see it without asking. The shape and the
 * computation live with the stage configuration (infra/processing.ts): deployed, the stack passes the
 * result as `KURA_PROCESSING`; locally it is computed from the platform settings the same way.
 */
import {
  type ProcessingDisclosure,
  processingDisclosure,
  processingDisclosureSchema,
} from '../../../infra/processing.ts';
import type { PlatformSettings } from '../settings.ts';

export type { ProcessingDisclosure } from '../../../infra/processing.ts';

/** The local platform runs the `dev` stage's settings; its data stays on this machine. */
export const LOCAL_REGION = 'ap-northeast-1';

/** Raised when KURA_PROCESSING is set but does not match the schema: a deployment defect. */
export class ProcessingDisclosureConfigError extends Error {
  override readonly name = 'ProcessingDisclosureConfigError';
}

/** The disclosure: KURA_PROCESSING when the stack set it, else computed from the local settings. */
export function processingDisclosureFor(
  deployed: string | undefined,
  settings: PlatformSettings,
): ProcessingDisclosure {
  if (deployed === undefined || deployed.trim() === '')
    return processingDisclosure({ region: LOCAL_REGION, settings });
  let json: unknown;
  try {
    json = JSON.parse(deployed);
  } catch {
    throw new ProcessingDisclosureConfigError('Environment variable KURA_PROCESSING is not valid JSON.');
  }
  const parsed = processingDisclosureSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ProcessingDisclosureConfigError(
      `Environment variable KURA_PROCESSING is invalid at ${first?.path.join('.') || '(root)'}: ${first?.message}`,
    );
  }
  return parsed.data;
}
