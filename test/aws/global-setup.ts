import { awsSuiteEnv } from './env.ts';

/** Fails the run before any test when the environment is incomplete (the suite is opt-in). */
export default function checkAwsSuiteEnvironment(): void {
  awsSuiteEnv();
}
