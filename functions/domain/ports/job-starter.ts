/** The platform's asynchronous jobs, each run by its own function. */
export const JOB_KINDS = ['release', 'purge'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/**
 * Starts a job in the function that runs it, without waiting for it (deployed: Lambda `Invoke` with
 * InvocationType `Event`; locally: the same handler in this process, in the background). Resolves once
 * the job was handed over; its outcome is in the jobs table.
 */
export interface JobStarter {
  start(kind: JobKind, event: Readonly<Record<string, unknown>>): Promise<void>;
}
