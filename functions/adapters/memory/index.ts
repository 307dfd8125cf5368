/** In-memory port implementations with S3 and DynamoDB semantics, for unit tests and tools. */
export { bodyToBytes } from './body.ts';
export { MemoryKeyStore } from './key-store.ts';
export {
  MAX_DELETE_REFS,
  MemoryObjectStore,
  type MemoryObjectStoreOptions,
  MemoryStoreRequestError,
  NULL_VERSION_ID,
  type VersionSnapshot,
} from './object-store.ts';
export { MemoryTable, MemoryTableValidationError } from './table.ts';
export { type MemoryUser, MemoryUserDirectory } from './user-directory.ts';
