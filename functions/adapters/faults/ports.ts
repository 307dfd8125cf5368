import type { KeyStore, ObjectStore, QueryRunner, Table } from '../../domain/ports/index.ts';
import type { FaultPlan, FaultPort } from './plan.ts';

/** Port methods that return an AsyncIterable rather than a promise: the fault fires on the first read. */
const ITERABLE_METHODS = new Set(['list', 'listVersions']);

function faulty<T extends object>(inner: T, port: FaultPort, plan: FaultPlan): T {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const method = property;
      if (ITERABLE_METHODS.has(method)) {
        return (...args: unknown[]) =>
          (async function* () {
            await plan.before(port, method, args);
            yield* value.apply(target, args) as AsyncIterable<unknown>;
          })();
      }
      return async (...args: unknown[]) => {
        const then = await plan.before(port, method, args);
        const result = await value.apply(target, args);
        if (then === 'crash-after') plan.after(port, method);
        return result;
      };
    },
  });
}

/** The object store with the plan's faults injected (bucket and key are the first two arguments). */
export const faultyObjectStore = (inner: ObjectStore, plan: FaultPlan): ObjectStore =>
  faulty(inner, 'objects', plan);

/** The table with the plan's faults injected (table name first). */
export const faultyTable = (inner: Table, plan: FaultPlan): Table => faulty(inner, 'table', plan);

/** The key store with the plan's faults injected (tenant id first). */
export const faultyKeyStore = (inner: KeyStore, plan: FaultPlan): KeyStore => faulty(inner, 'keys', plan);

/** The query runner with the plan's faults injected on `run(sql)`; `engine` passes through. */
export const faultyQueryRunner = (inner: QueryRunner, plan: FaultPlan): QueryRunner =>
  faulty(inner, 'query', plan);
