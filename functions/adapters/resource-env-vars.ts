/** Environment variable names that carry a logical bucket's, table's or function's physical name. */
/** Environment variable that names a logical bucket's physical name (set by the grant helpers). */
export const bucketEnvVar = (bucket: string) => `KURA_BUCKET_${bucket.toUpperCase().replace(/-/g, '_')}`;
/** Environment variable holding the KMS key ARN writes to a logical bucket must name (set with the bucket grant). */
export const bucketKeyEnvVar = (bucket: string) => `${bucketEnvVar(bucket)}_KEY_ARN`;
/** Environment variable that names a logical table's physical name (set by the grant helpers). */
export const tableEnvVar = (table: string) => `KURA_TABLE_${table.toUpperCase()}`;
/** Environment variable naming the function that runs a job kind, e.g. `KURA_FUNCTION_RELEASE` (set by grantInvoke). */
export const functionEnvVar = (kind: string) => `KURA_FUNCTION_${kind.toUpperCase().replace(/-/g, '_')}`;
/** Environment variable naming a bucket's disaster-recovery copy, e.g. `KURA_BUCKET_CURATED_REPLICA`. */
export const replicaBucketEnvVar = (bucket: string) => `${bucketEnvVar(bucket)}_REPLICA`;
