/** Statistics releases built from scratch: contributors → anonymise → publish (on schedule, on demand, after a purge). */
export * from './release.ts';
export * from './release-job.ts';
