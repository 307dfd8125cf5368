import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import { Construct } from 'constructs';
import { type GlueZone, glueTableDescriptions } from '../../functions/domain/masking/glue-tables.ts';
import { ATHENA_DATABASES } from '../../functions/domain/stats/publish.ts';
import {
  athenaViewTableInput,
  biViews,
  RELEASES_TABLE,
  statsGlueTables,
} from '../../functions/domain/stats/views.ts';
import type { LogicalBucket } from '../../functions/domain/zones.ts';

/**
 * Glue databases of Kura. The stats names come from `ATHENA_DATABASES` (functions/domain/stats), which
 * the release SQL names; the masking zones map onto databases by {@link MASKING_ZONE_DATABASE}.
 */
export const GLUE_DATABASES = {
  raw: 'kura_raw',
  pseudonymised: 'kura_pseudonymised',
  anonymised: ATHENA_DATABASES.anonymised,
  stats: ATHENA_DATABASES.stats,
  statsAdmin: ATHENA_DATABASES.admin,
  statsWork: ATHENA_DATABASES.work,
} as const;
export type GlueDatabase = (typeof GLUE_DATABASES)[keyof typeof GLUE_DATABASES];

/** Which database holds the tables of each masking zone (derived facts are pseudonymised data). */
export const MASKING_ZONE_DATABASE: Readonly<Record<GlueZone, GlueDatabase>> = {
  raw: GLUE_DATABASES.raw,
  pseudonymised: GLUE_DATABASES.pseudonymised,
  facts: GLUE_DATABASES.pseudonymised,
  anonymised: GLUE_DATABASES.anonymised,
};

const DATABASE_DESCRIPTIONS: Readonly<Record<GlueDatabase, string>> = {
  kura_raw: 'Raw validated rows per tenant (ingest and masking only; short retention)',
  kura_pseudonymised: 'Pseudonymised rows and derived facts per tenant (platform analysis, admin only)',
  kura_anonymised: 'Anonymised pooled data per release (statistics materialisation only)',
  kura_stats: 'Published statistics with disclosure control and their BI views (BI-readable)',
  kura_stats_admin: 'Suppression reasons of published statistics (admin only, never BI)',
  kura_stats_work: 'Scratch CTAS tables of statistics releases (dropped after each statistic)',
};

/** ARNs of Glue Data Catalog resources, as plain strings (names are fixed, so no export is needed). */
export const glueArns = (stack: Stack) => {
  const base = `arn:aws:glue:${stack.region}:${stack.account}`;
  return {
    catalog: `${base}:catalog`,
    database: (name: string) => `${base}:database/${name}`,
    tables: (name: string) => `${base}:table/${name}/*`,
  };
};

/** Properties of {@link AnalyticsCatalog}. */
export interface AnalyticsCatalogProps {
  /** Physical name of a logical bucket (plain strings from naming.ts; tokens also work). */
  readonly bucketName: (bucket: LogicalBucket) => string;
}

const PARQUET_FORMATS = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
};

/** JSON lines (the `releases` table of completion markers). */
const JSON_FORMATS = {
  inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
};

/**
 * The Glue Data Catalog of Kura, declared rather than created by DDL at run time: the databases, the
 * masking zones' tables (`glueTableDescriptions`, Parquet with partition projection), the statistics
 * tables (`statsGlueTables`, partitions added per release, and the `releases` table of completion
 * markers) and the BI views (`biViews`, Glue
 * `VIRTUAL_VIEW` tables as Athena's `CREATE VIEW` would store them).
 */
export class AnalyticsCatalog extends Construct {
  readonly databases: Readonly<Record<GlueDatabase, glue.CfnDatabase>>;
  /** Every table and view, by `<database>.<name>`. */
  readonly tables: ReadonlyMap<string, glue.CfnTable>;

  constructor(scope: Construct, id: string, props: AnalyticsCatalogProps) {
    super(scope, id);
    const catalogId = Stack.of(this).account;
    const databases = {} as Record<GlueDatabase, glue.CfnDatabase>;
    for (const name of Object.values(GLUE_DATABASES)) {
      databases[name] = new glue.CfnDatabase(this, `Database-${name}`, {
        catalogId,
        databaseInput: { name, description: DATABASE_DESCRIPTIONS[name] },
      });
    }
    this.databases = databases;
    const tables = new Map<string, glue.CfnTable>();
    const addTable = (databaseName: GlueDatabase, tableInput: glue.CfnTable.TableInputProperty) => {
      const table = new glue.CfnTable(this, `Table-${databaseName}-${tableInput.name}`, {
        catalogId,
        databaseName,
        tableInput,
      });
      table.addResourceDependency(databases[databaseName]);
      tables.set(`${databaseName}.${tableInput.name}`, table);
      return table;
    };

    for (const table of glueTableDescriptions(props.bucketName)) {
      addTable(MASKING_ZONE_DATABASE[table.zone], {
        name: table.name,
        description: table.description,
        tableType: 'EXTERNAL_TABLE',
        parameters: { ...table.parameters, EXTERNAL: 'TRUE' },
        partitionKeys: table.partitionKeys.map((key) => ({ ...key })),
        storageDescriptor: {
          location: table.location,
          columns: table.columns.map((column) => ({ ...column })),
          inputFormat: table.inputFormat,
          outputFormat: table.outputFormat,
          serdeInfo: { serializationLibrary: table.serializationLibrary },
        },
      });
    }
    for (const table of statsGlueTables()) {
      addTable(table.database as GlueDatabase, {
        name: table.name,
        description: table.description.en,
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: table.format, EXTERNAL: 'TRUE' },
        partitionKeys: table.partitionKeys.map((key) => ({
          name: key.name,
          type: key.type,
          comment: key.doc.en,
        })),
        storageDescriptor: {
          location: `s3://${props.bucketName(table.location.bucket)}/${table.location.prefix}`,
          columns: table.columns.map((column) => ({
            name: column.name,
            type: column.type,
            comment: column.doc.en,
          })),
          ...(table.format === 'json' ? JSON_FORMATS : PARQUET_FORMATS),
        },
      });
    }
    for (const view of biViews()) {
      const created = addTable(view.database as GlueDatabase, athenaViewTableInput(view));
      for (const source of [view.statistic, RELEASES_TABLE]) {
        const table = tables.get(`${view.database}.${source}`);
        if (table) created.addResourceDependency(table);
      }
    }
    this.tables = tables;
  }
}
