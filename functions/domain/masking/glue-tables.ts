/**
 * Glue tables for the raw, pseudonymised, facts and anonymised zones as a pure description derived
 * from the catalogue and the masking policy, so infra can turn each into a `CfnTable` (Parquet,
 * partition projection) without restating a column. No CDK here.
 *
 * Partition projection: `tenant` and `release` are `injected`, so every Athena query must name the
 * tenant (or release) it reads — a query cannot scan all tenants by accident; `period` is a
 * `date` projection over months.
 */
import { DATASET_NAMES, type DatasetName, getDataset, sqlTypeOf } from '../catalog/index.ts';
import type { LogicalBucket } from '../zones.ts';
import { ANONYMISED_COLUMNS, ANONYMISED_TABLES, type AnonSqlType } from './anonymised-schema.ts';
import { pseudonymisedColumns } from './columns.ts';
import { FACT_COLUMNS, FACT_NAMES, type FactName } from './facts.ts';

export type GlueZone = 'raw' | 'pseudonymised' | 'facts' | 'anonymised';

export interface GlueColumn {
  readonly name: string;
  /** Hive/Glue type name: string, date, bigint, int, double, boolean. */
  readonly type: string;
  readonly comment?: string;
}

export interface GlueTableDescription {
  readonly zone: GlueZone;
  /** Table name, unique across zones (e.g. raw_employees, pseudonymised_employees). */
  readonly name: string;
  readonly description: string;
  readonly bucket: LogicalBucket;
  /** s3:// location of the table root. */
  readonly location: string;
  readonly columns: readonly GlueColumn[];
  readonly partitionKeys: readonly GlueColumn[];
  /** Table parameters: classification and partition projection. */
  readonly parameters: Readonly<Record<string, string>>;
  readonly inputFormat: string;
  readonly outputFormat: string;
  readonly serializationLibrary: string;
}

const PARQUET = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
} as const;

const HIVE_TYPES: Readonly<Record<AnonSqlType | 'DATE', string>> = {
  VARCHAR: 'string',
  DATE: 'date',
  BIGINT: 'bigint',
  INTEGER: 'int',
  DOUBLE: 'double',
  BOOLEAN: 'boolean',
};

/** First month the period projection covers. */
export const PROJECTION_FIRST_PERIOD = '2000-01';

const tenantKey: GlueColumn = {
  name: 'tenant',
  type: 'string',
  comment: 'tenant id (injected: queries must name it)',
};
const periodKey: GlueColumn = { name: 'period', type: 'string', comment: 'YYYY-MM' };
const releaseKey: GlueColumn = { name: 'release', type: 'string', comment: 'release id (injected)' };

function projection(template: string, keys: readonly GlueColumn[]): Record<string, string> {
  const parameters: Record<string, string> = {
    classification: 'parquet',
    'projection.enabled': 'true',
    'storage.location.template': template,
  };
  for (const key of keys) {
    if (key.name === 'period') {
      Object.assign(parameters, {
        'projection.period.type': 'date',
        'projection.period.format': 'yyyy-MM',
        'projection.period.range': `${PROJECTION_FIRST_PERIOD},NOW`,
        'projection.period.interval': '1',
        'projection.period.interval.unit': 'MONTHS',
      });
    } else {
      parameters[`projection.${key.name}.type`] = 'injected';
    }
  }
  return parameters;
}

export const rawTableName = (dataset: DatasetName) => `raw_${dataset}`;
export const pseudonymisedTableName = (dataset: DatasetName) => `pseudonymised_${dataset}`;
export const factsTableName = (fact: FactName) => `facts_${fact}`;

/**
 * Every Glue table of the masking zones. `bucketName` maps a logical bucket to its real name (a CDK
 * token is fine: the result is only concatenated).
 */
export function glueTableDescriptions(bucketName: (bucket: LogicalBucket) => string): GlueTableDescription[] {
  const tables: GlueTableDescription[] = [];
  const raw = bucketName('raw');
  const curated = bucketName('curated');
  for (const name of DATASET_NAMES) {
    const dataset = getDataset(name);
    const keys = [tenantKey, periodKey];
    tables.push({
      zone: 'raw',
      name: rawTableName(name),
      description: `Raw ${name} rows as validated (tenant and ingest path only; short retention)`,
      bucket: 'raw',
      location: `s3://${raw}/raw/`,
      columns: dataset.columns.map((c) => ({ name: c.name, type: HIVE_TYPES[sqlTypeOf(c.type)] })),
      partitionKeys: keys,
      parameters: projection(`s3://${raw}/raw/tenant=\${tenant}/dataset=${name}/period=\${period}/`, keys),
      ...PARQUET,
    });
    tables.push({
      zone: 'pseudonymised',
      name: pseudonymisedTableName(name),
      description: `Pseudonymised ${name} (identifiers removed, linking codes as per-tenant HMAC tokens)`,
      bucket: 'curated',
      location: `s3://${curated}/pseudonymised/`,
      columns: pseudonymisedColumns(dataset).map((c) => ({ name: c.name, type: HIVE_TYPES[c.sqlType] })),
      partitionKeys: keys,
      parameters: projection(
        `s3://${curated}/pseudonymised/tenant=\${tenant}/dataset=${name}/period=\${period}/`,
        keys,
      ),
      ...PARQUET,
    });
  }
  for (const fact of FACT_NAMES) {
    tables.push({
      zone: 'facts',
      name: factsTableName(fact),
      description: `Derived ${fact} facts of one tenant (pseudonymised zone)`,
      bucket: 'curated',
      location: `s3://${curated}/facts/`,
      columns: FACT_COLUMNS[fact].map(([name, type]) => ({ name, type: HIVE_TYPES[type] })),
      partitionKeys: [tenantKey],
      parameters: projection(`s3://${curated}/facts/tenant=\${tenant}/fact=${fact}/`, [tenantKey]),
      ...PARQUET,
    });
  }
  for (const table of ANONYMISED_TABLES) {
    tables.push({
      zone: 'anonymised',
      name: table,
      description: `Anonymised ${table} per release (no tokens, generalised, k-anonymous)`,
      bucket: 'curated',
      location: `s3://${curated}/anonymised/`,
      columns: ANONYMISED_COLUMNS[table].map(([name, type]) => ({ name, type: HIVE_TYPES[type] })),
      partitionKeys: [releaseKey],
      parameters: projection(`s3://${curated}/anonymised/release=\${release}/dataset=${table}/`, [
        releaseKey,
      ]),
      ...PARQUET,
    });
  }
  return tables;
}
