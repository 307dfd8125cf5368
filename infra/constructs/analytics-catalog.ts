import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import { Construct } from 'constructs';
import {
  type GlueDatabaseKey,
  type GlueDatabases,
  glueDatabases,
} from '../../functions/domain/athena-names.ts';
import { type GlueZone, glueTableDescriptions } from '../../functions/domain/masking/glue-tables.ts';
import {
  athenaViewTableInput,
  biViews,
  RELEASES_TABLE,
  statsGlueTables,
} from '../../functions/domain/stats/views.ts';
import type { LogicalBucket } from '../../functions/domain/zones.ts';

/** Which database holds the tables of each masking zone (derived facts are pseudonymised data). */
export const MASKING_ZONE_DATABASE: Readonly<Record<GlueZone, GlueDatabaseKey>> = {
  raw: 'raw',
  pseudonymised: 'pseudonymised',
  facts: 'pseudonymised',
  anonymised: 'anonymised',
};

const DATABASE_DESCRIPTIONS: Readonly<Record<GlueDatabaseKey, string>> = {
  raw: 'Raw validated rows per tenant (ingest and masking only; short retention)',
  pseudonymised: 'Pseudonymised rows and derived facts per tenant (platform analysis, admin only)',
  anonymised: 'Anonymised pooled data per release (statistics materialisation only)',
  stats: 'Published statistics with disclosure control and their BI views (BI-readable)',
  statsAdmin: 'Suppression reasons of published statistics (admin only, never BI)',
  statsWork: 'Scratch CTAS tables of statistics releases (dropped after each statistic)',
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
  /** Stage whose catalogue this is: database names carry it (functions/domain/athena-names.ts). */
  readonly stage: string;
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
  /** Physical database names of the stage. */
  readonly names: GlueDatabases;
  readonly databases: Readonly<Record<string, glue.CfnDatabase>>;
  /** Every table and view, by `<database>.<name>`. */
  readonly tables: ReadonlyMap<string, glue.CfnTable>;

  constructor(scope: Construct, id: string, props: AnalyticsCatalogProps) {
    super(scope, id);
    const catalogId = Stack.of(this).account;
    const names = glueDatabases(props.stage);
    this.names = names;
    const databases: Record<string, glue.CfnDatabase> = {};
    for (const [key, name] of Object.entries(names) as [GlueDatabaseKey, string][]) {
      // Construct ids stay the stage-independent keys, so a stage rename does not replace resources twice.
      databases[name] = new glue.CfnDatabase(this, `Database-${key}`, {
        catalogId,
        databaseInput: { name, description: DATABASE_DESCRIPTIONS[key] },
      });
    }
    this.databases = databases;
    const tables = new Map<string, glue.CfnTable>();
    const addTable = (databaseName: string, tableInput: glue.CfnTable.TableInputProperty) => {
      const database = databases[databaseName];
      if (!database) throw new Error(`No Glue database ${databaseName} in this catalogue`);
      const table = new glue.CfnTable(this, `Table-${databaseName}-${tableInput.name}`, {
        catalogId,
        databaseName,
        tableInput,
      });
      table.addResourceDependency(database);
      tables.set(`${databaseName}.${tableInput.name}`, table);
      return table;
    };

    for (const table of glueTableDescriptions(props.bucketName)) {
      addTable(names[MASKING_ZONE_DATABASE[table.zone]], {
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
    for (const table of statsGlueTables(names)) {
      addTable(table.database, {
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
    for (const view of biViews(names)) {
      const created = addTable(view.database, athenaViewTableInput(view));
      for (const source of [view.statistic, RELEASES_TABLE]) {
        const table = tables.get(`${view.database}.${source}`);
        if (table) created.addResourceDependency(table);
      }
    }
    this.tables = tables;
  }
}
