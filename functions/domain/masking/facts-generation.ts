/**
 * The generation of a tenant's facts: a random value a withdrawal renews before it removes the facts,
 * stamped into every facts file a rebuild writes. A rebuild reads the generation before it reads the
 * upload records, so facts built from records read before a withdrawal committed carry an older
 * generation than the one that withdrawal wrote, however late they are written. A release pools a
 * company only when its facts carry the generation it reads after them (release-companies.ts): facts
 * that a rebuild wrote with a withdrawn upload's rows after the withdrawal finished (and whose own
 * re-check never ran: the function died) stay out of every release until a rebuild writes current ones.
 */
import { randomUUID } from 'node:crypto';
import { NotFoundError, type ObjectStore } from '../ports/index.ts';
import { factsPrefix } from '../zones.ts';
import { quoteLiteral } from './compile.ts';
import { type DuckSession, plainQuery } from './duckdb-engine.ts';

/** The generation of a tenant no withdrawal has renewed (none reached its finishing run since generations exist). */
export const FIRST_GENERATION = 'first';

/** Parquet key-value metadata of a facts file naming the generation it was built in. */
const GENERATION_METADATA_KEY = 'kura_facts_generation';

/** Key of a tenant's facts generation (beside its fact tables, outside their `fact=` partitions). */
export const factsGenerationKey = (tenantId: string) => `${factsPrefix(tenantId)}generation.txt`;

/**
 * The tenant's facts generation now. Listed before it is read: most tenants never withdrew anything and
 * have no generation object, and S3 answers a read of a missing key with 403 to the release's role (it may
 * list only under `facts/`), which then costs a second request (S3ObjectStore) and an access-denied event
 * in CloudTrail. A release reads every company's generation: one listing each instead of two requests.
 * A rebuild (mask and ingest, which get 404s) pays one more request for a tenant that has a generation.
 */
export async function readFactsGeneration(objects: ObjectStore, tenantId: string): Promise<string> {
  const key = factsGenerationKey(tenantId);
  for await (const listed of objects.list('curated', key)) {
    if (listed.key !== key) continue;
    try {
      return new TextDecoder().decode(await objects.get('curated', key)).trim();
    } catch (error) {
      // Deleted since the listing: only a purge deletes it, together with the tenant's facts.
      if (error instanceof NotFoundError) return FIRST_GENERATION;
      throw error;
    }
  }
  return FIRST_GENERATION;
}

/**
 * A new generation for the tenant's facts: every facts file built before it no longer counts. A
 * withdrawal writes it after its commit and before it removes the facts.
 */
export async function renewFactsGeneration(objects: ObjectStore, tenantId: string): Promise<void> {
  await objects.put('curated', factsGenerationKey(tenantId), randomUUID(), { contentType: 'text/plain' });
}

/** The Parquet COPY option that stamps a facts file with its generation. */
export const generationCopyOption = (generation: string) =>
  `KV_METADATA {${GENERATION_METADATA_KEY}: ${quoteLiteral(generation)}}`;

/**
 * The generation each facts file was stamped with (files written before generations existed count as
 * the first), read from their footers in one statement.
 */
export async function stampedGenerations(
  db: DuckSession,
  paths: readonly string[],
): Promise<Map<string, string>> {
  const stamped = new Map(paths.map((path) => [path, FIRST_GENERATION]));
  if (paths.length === 0) return stamped;
  const rows = await db.run(
    plainQuery(
      `SELECT file_name, decode(value) AS generation FROM parquet_kv_metadata([${paths.map(quoteLiteral).join(', ')}])
        WHERE decode(key) = ${quoteLiteral(GENERATION_METADATA_KEY)}`,
      'facts generations',
    ),
  );
  for (const row of rows) stamped.set(String(row.file_name), String(row.generation));
  return stamped;
}
