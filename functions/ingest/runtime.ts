import { platformSettingsSchema } from '../domain/settings.ts';
import type { IngestRuntime } from './handler.ts';

/** Reads a required environment variable; throws naming it when it is missing. */
function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`Environment variable ${name} is not set`);
  return value;
}

/**
 * Builds the deployed runtime: settings from KURA_SETTINGS and the ports of functions/adapters/runtime.ts.
 * Imported lazily, so loading the handler module (e.g. in the local platform) needs no environment.
 */
export async function loadIngestRuntime(): Promise<IngestRuntime> {
  const settings = platformSettingsSchema.parse(JSON.parse(requireEnv('KURA_SETTINGS')));
  // The adapters module is written alongside; its path stays a variable until it lands.
  const adaptersPath = '../adapters/runtime.ts';
  const adapters: Record<string, unknown> = await import(adaptersPath);
  const factory = adapters.createRuntimePorts ?? adapters.runtimePorts;
  if (typeof factory !== 'function') throw new Error('functions/adapters/runtime.ts exports no port factory');
  const ports = await factory();
  return { ports, settings };
}
