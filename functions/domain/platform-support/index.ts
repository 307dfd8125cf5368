export * from './exports.ts';
export * from './grants.ts';
export * from './inspect.ts';
export * from './mask.ts';
