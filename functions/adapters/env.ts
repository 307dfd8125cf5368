/** Raised when a function starts without a variable its stack should have set. */
export class MissingEnvironmentError extends Error {
  override readonly name: string = 'MissingEnvironmentError';
  /** The variable that is not set. */
  readonly variable: string;
  constructor(message: string, variable: string) {
    super(message);
    this.variable = variable;
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * A required environment variable. Throws naming the variable, so a missing grant shows up as
 * "KURA_BUCKET_LANDING is not set" instead of an S3 error about an undefined bucket.
 */
export function requireEnv(env: Env, name: string, hint?: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new MissingEnvironmentError(
      `Environment variable ${name} is not set${hint ? `: ${hint}` : ''}. The stack's grant helpers set it together with the permission it needs.`,
      name,
    );
  }
  return value;
}

/** Maps a logical name (bucket or table) to its physical name. */
export type NameResolver = (logical: string) => string;

/** Deployed: physical names come from `KURA_BUCKET_*` / `KURA_TABLE_*`, read when first used. */
export function envResolver(env: Env, envVarFor: (logical: string) => string): NameResolver {
  const cache = new Map<string, string>();
  return (logical) => {
    let name = cache.get(logical);
    if (name === undefined) {
      name = requireEnv(env, envVarFor(logical), `it names the physical resource for "${logical}"`);
      cache.set(logical, name);
    }
    return name;
  };
}

/** Local: physical names are a fixed prefix plus the logical name, e.g. `kura-local-landing`. */
export const prefixResolver =
  (prefix: string): NameResolver =>
  (logical) =>
    `${prefix}${logical}`;
