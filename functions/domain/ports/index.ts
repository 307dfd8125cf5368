/**
 * Ports: the only ways domain code reaches the outside world, defined here by the domain in its own
 * words, one file per port family. Adapters in functions/adapters/ implement them (AWS SDK deployed;
 * s3rver, dynalite, files and DuckDB locally; memory in tests). Domain code takes ports as arguments,
 * so the same code runs in Lambda, in the local platform and in tests, and tests can wrap a port to
 * inject faults. test/unit/architecture/ fails when domain code imports an adapter instead.
 */
export * from './errors.ts';
export * from './job-starter.ts';
export * from './key-store.ts';
export * from './object-store.ts';
export * from './query-runner.ts';
export * from './table.ts';
export * from './user-directory.ts';
