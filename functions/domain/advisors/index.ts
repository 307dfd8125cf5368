/** Supporting organisations: grants to read a company's benchmarks, and the benchmark route's access rules. */
export * from './benchmark.ts';
export * from './grants.ts';
