export * from './exports.ts';
export * from './grant-decisions.ts';
export * from './grant-records.ts';
export * from './grant-sweep.ts';
export * from './grants.ts';
export * from './inspect.ts';
export * from './mask.ts';
