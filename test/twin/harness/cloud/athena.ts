/**
 * The twin's Athena and Glue Data Catalog. The catalogue starts as the templates declare it (databases,
 * tables, Presto views) and changes with the DDL Kura runs (ADD PARTITION, CREATE EXTERNAL TABLE, DROP
 * TABLE). A query runs in DuckDB over the objects of the twin's S3, after the checks Athena makes for
 * the caller: the workgroup, Glue on the catalog, database and table of every table and view it reads,
 * and S3 reads of their data and the write of the results (as the caller, through Athena: KMS by S3).
 * Every statement is recorded, so a test can parse each with the Trino or Hive grammar.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { TRINO_STAND_INS } from '../../../support/trino-on-duckdb.ts';
import type { Json, ResolvedDeployment } from '../assembly.ts';
import { TwinAccessDeniedError, type TwinIam } from '../iam.ts';
import type { CallerIdentity, Reply, TwinS3 } from './s3.ts';

interface GlueTable {
  readonly database: string;
  readonly name: string;
  readonly view?: string;
  readonly location?: string;
  readonly format: 'parquet' | 'json' | 'text';
  readonly columns: ReadonlyArray<{ name: string; type: string }>;
  readonly partitionKeys: ReadonlyArray<{ name: string; type: string }>;
  readonly partitions: Map<string, { values: Record<string, string>; location: string }>;
  readonly projected: boolean;
  /** Partition projection: the location template and each projected key's type (`injected`, `date`, …). */
  readonly projection?: { readonly template: string; readonly types: Readonly<Record<string, string>> };
}

interface Workgroup {
  readonly name: string;
  readonly outputLocation: string | undefined;
  readonly enforce: boolean;
  readonly kmsKey: string | undefined;
}

interface Execution {
  readonly id: string;
  readonly workgroup: string;
  readonly sql: string;
  readonly principal: string;
  state: 'SUCCEEDED' | 'FAILED';
  reason?: string;
  statementType: 'DDL' | 'DML';
  columns: string[];
  /** Athena's name for each column's type (`bigint`, `double`, `varchar`, …), as GetQueryResults reports it. */
  types: string[];
  rows: Array<Array<string | null>>;
  outputLocation?: string;
}

/** Rows in one page of GetQueryResults (Athena's maximum, the header row included on the first page). */
const RESULT_PAGE_ROWS = 1000;
/** Partitions one CTAS statement may write (HIVE_TOO_MANY_OPEN_PARTITIONS beyond). */
const CTAS_MAX_PARTITIONS = 100;

/** DuckDB's type of a result column → the name Athena reports for it. */
function athenaType(duckdbType: string): string {
  const type = duckdbType.toUpperCase();
  if (type === 'BIGINT' || type === 'HUGEINT' || type === 'UBIGINT') return 'bigint';
  if (type === 'INTEGER' || type === 'UINTEGER' || type === 'USMALLINT') return 'integer';
  if (type === 'SMALLINT' || type === 'UTINYINT') return 'smallint';
  if (type === 'TINYINT') return 'tinyint';
  if (type === 'DOUBLE') return 'double';
  if (type === 'FLOAT') return 'float';
  if (type.startsWith('DECIMAL')) return 'decimal';
  if (type === 'BOOLEAN') return 'boolean';
  if (type === 'DATE') return 'date';
  if (type.startsWith('TIMESTAMP')) return 'timestamp';
  if (type === 'BLOB') return 'varbinary';
  return 'varchar';
}

/** Athena's error for a CTAS or query it refuses, in the form StateChangeReason carries. */
class AthenaQueryFailure extends Error {}

const jsonReply = (status: number, body: unknown): Reply => ({
  status,
  headers: { 'content-type': 'application/x-amz-json-1.1' },
  body: JSON.stringify(body),
});

const s3Location = (uri: string) => {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`Not an S3 location: ${uri}`);
  return { bucket: match[1] as string, prefix: match[2] as string };
};

/** CTAS `WITH (…)` properties: `name = 'text'` or `name = ARRAY['a', …]`. */
function ctasProperties(text: string): Record<string, string | string[]> {
  const properties: Record<string, string | string[]> = {};
  for (const match of text.matchAll(/(\w+)\s*=\s*(?:'((?:[^']|'')*)'|ARRAY\s*\[([^\]]*)\])/gi)) {
    const name = String(match[1]).toLowerCase();
    properties[name] =
      match[3] !== undefined
        ? [...match[3].matchAll(/'((?:[^']|'')*)'/g)].map((m) => String(m[1]).replaceAll("''", "'"))
        : String(match[2]).replaceAll("''", "'");
  }
  return properties;
}

/**
 * The one location a query reads from a table with partition projection: every key must be
 * `injected` (the only type Kura's queried tables use) and the query must fix it with an equality, as
 * Athena requires (CONSTRAINT_VIOLATION otherwise).
 */
function projectedLocation(
  table: GlueTable,
  projection: NonNullable<GlueTable['projection']>,
  sql: string,
): { values: Record<string, string>; location: string } {
  let location = projection.template;
  const values: Record<string, string> = {};
  for (const key of table.partitionKeys) {
    const type = projection.types[key.name];
    if (type !== 'injected') {
      throw new Error(
        `The twin models injected partition projection only; ${table.database}.${table.name}.${key.name} is ${type}`,
      );
    }
    const value = new RegExp(`(?:^|[^A-Za-z0-9_])["\`]?${key.name}["\`]?\\s*=\\s*'([^']*)'`).exec(sql)?.[1];
    if (value === undefined) {
      throw new AthenaQueryFailure(
        `CONSTRAINT_VIOLATION: For the injected projected partition column ${key.name}, the WHERE clause must contain only static equality conditions, and at least one such condition must be present.`,
      );
    }
    values[key.name] = value;
    location = location.replaceAll(`\${${key.name}}`, value);
  }
  return { values, location };
}

/** `db.table`, `"db"."table"` or `` `db`.`table` `` → [db, table]. */
function splitName(text: string): [string, string] {
  const parts = text.replace(/[`"]/g, '').split('.');
  return [parts[0] ?? '', parts[1] ?? ''];
}

export class TwinAthena {
  readonly statements: Array<{
    sql: string;
    workgroup: string;
    principal: string;
    state: string;
    reason?: string;
  }> = [];
  readonly #tables = new Map<string, GlueTable>();
  readonly #databases = new Set<string>();
  readonly #workgroups = new Map<string, Workgroup>();
  readonly #executions = new Map<string, Execution>();
  #scratch: string | undefined;

  constructor(
    private readonly deployment: ResolvedDeployment,
    private readonly iam: TwinIam,
    private readonly s3: TwinS3,
    private readonly account: string,
  ) {
    for (const database of deployment.ofType('AWS::Glue::Database'))
      this.#databases.add(deployment.ref(database));
    for (const table of deployment.ofType('AWS::Glue::Table')) {
      const props = deployment.resolve(table.stack, table.properties);
      const input = props.TableInput;
      const original = /\/\* Presto View: (.*) \*\//.exec(input.ViewOriginalText ?? '')?.[1];
      const storage = input.StorageDescriptor ?? {};
      const parameters: Record<string, string> = input.Parameters ?? {};
      const projected = parameters['projection.enabled'] === 'true';
      const serde = String(storage.SerdeInfo?.SerializationLibrary ?? '');
      this.#add({
        database: props.DatabaseName,
        name: input.Name,
        ...(original ? { view: JSON.parse(Buffer.from(original, 'base64').toString()).originalSql } : {}),
        ...(storage.Location ? { location: storage.Location } : {}),
        format: serde.includes('Json')
          ? 'json'
          : serde.includes('Parquet') || input.Parameters?.classification === 'parquet'
            ? 'parquet'
            : 'text',
        columns: (storage.Columns ?? []).map((c: Json) => ({ name: c.Name, type: c.Type })),
        partitionKeys: (input.PartitionKeys ?? []).map((c: Json) => ({ name: c.Name, type: c.Type })),
        partitions: new Map(),
        projected,
        ...(projected
          ? {
              projection: {
                template: String(parameters['storage.location.template'] ?? ''),
                types: Object.fromEntries(
                  (input.PartitionKeys ?? []).map((c: Json) => [
                    c.Name,
                    String(parameters[`projection.${c.Name}.type`] ?? ''),
                  ]),
                ),
              },
            }
          : {}),
      });
    }
    for (const workgroup of deployment.ofType('AWS::Athena::WorkGroup')) {
      const props = deployment.resolve(workgroup.stack, workgroup.properties);
      const config = props.WorkGroupConfiguration ?? {};
      this.#workgroups.set(props.Name, {
        name: props.Name,
        outputLocation: config.ResultConfiguration?.OutputLocation,
        enforce: config.EnforceWorkGroupConfiguration === true,
        kmsKey: config.ResultConfiguration?.EncryptionConfiguration?.KmsKey,
      });
    }
  }

  #add(table: GlueTable): void {
    this.#tables.set(`${table.database}.${table.name}`, table);
  }

  /** Tables (and views) a database holds now (assertions). */
  tablesIn(database: string): string[] {
    return [...this.#tables.values()].filter((t) => t.database === database).map((t) => t.name);
  }

  /** Registered partitions of a table (assertions). */
  partitionsOf(database: string, table: string): string[] {
    return [...(this.#tables.get(`${database}.${table}`)?.partitions.keys() ?? [])];
  }

  #arns(database: string, table?: string) {
    const base = `arn:aws:glue:${this.deployment.assembly.config.region}:${this.account}`;
    return [
      `${base}:catalog`,
      `${base}:database/${database}`,
      ...(table ? [`${base}:table/${database}/${table}`] : []),
    ];
  }

  async #glue(caller: CallerIdentity, action: string, database: string, table?: string): Promise<void> {
    for (const resource of this.#arns(database, table)) {
      await this.iam.require({ principal: caller.principal, action, resource });
    }
  }

  /** S3 access Athena makes for the caller (forward access sessions): list and read, KMS through S3. */
  async #readObjects(
    caller: CallerIdentity,
    location: string,
  ): Promise<Array<{ key: string; bytes: Buffer }>> {
    const { bucket, prefix } = s3Location(location);
    const context = { 's3:prefix': prefix, 'aws:CalledVia': 'athena.amazonaws.com' };
    await this.iam.require({
      principal: caller.principal,
      action: 's3:ListBucket',
      resource: `arn:aws:s3:::${bucket}`,
      context,
    });
    const objects: Array<{ key: string; bytes: Buffer }> = [];
    for (const key of this.s3.currentKeys(bucket, prefix)) {
      await this.iam.require({
        principal: caller.principal,
        action: 's3:GetObject',
        resource: `arn:aws:s3:::${bucket}/${key}`,
      });
      const keyArn = this.s3.defaultKeyOf(bucket);
      if (keyArn) {
        await this.iam.require({
          principal: caller.principal,
          action: 'kms:Decrypt',
          resource: keyArn,
          context: { 'kms:ViaService': `s3.${this.s3.regionOf(bucket)}.amazonaws.com` },
        });
      }
      objects.push({ key, bytes: this.s3.current(bucket, key) ?? Buffer.alloc(0) });
    }
    return objects;
  }

  async #writeResult(
    caller: CallerIdentity,
    location: string,
    kmsKey: string | undefined,
    bytes: Buffer,
  ): Promise<void> {
    const { bucket, prefix } = s3Location(location);
    // Athena writes results as the caller, SSE-KMS with the workgroup's key when it names one.
    await this.iam.require({
      principal: caller.principal,
      action: 's3:PutObject',
      resource: `arn:aws:s3:::${bucket}/${prefix}`,
      context: kmsKey
        ? {
            's3:x-amz-server-side-encryption': 'aws:kms',
            's3:x-amz-server-side-encryption-aws-kms-key-id': kmsKey,
          }
        : {},
    });
    const keyArn = kmsKey ?? this.s3.defaultKeyOf(bucket);
    if (keyArn) {
      await this.iam.require({
        principal: caller.principal,
        action: 'kms:GenerateDataKey',
        resource: keyArn,
        context: { 'kms:ViaService': `s3.${this.s3.regionOf(bucket)}.amazonaws.com` },
      });
    }
    this.s3.writeAs(bucket, prefix, bytes, keyArn);
  }

  async handle(target: string, rawBody: Buffer, caller: CallerIdentity): Promise<Reply> {
    const action = target.split('.')[1] ?? '';
    const body = JSON.parse(rawBody.toString() || '{}') as Json;
    try {
      if (action === 'StartQueryExecution') return await this.#start(body, caller);
      const execution = this.#executions.get(body.QueryExecutionId ?? '');
      if (action === 'GetWorkGroup') {
        await this.iam.require({
          principal: caller.principal,
          action: 'athena:GetWorkGroup',
          resource: this.#workgroupArn(body.WorkGroup),
        });
        return jsonReply(200, { WorkGroup: { Name: body.WorkGroup, State: 'ENABLED' } });
      }
      if (!execution)
        return jsonReply(400, { __type: 'InvalidRequestException', Message: 'QueryExecution not found' });
      await this.iam.require({
        principal: caller.principal,
        action: `athena:${action}`,
        resource: this.#workgroupArn(execution.workgroup),
      });
      if (action === 'GetQueryExecution') {
        return jsonReply(200, {
          QueryExecution: {
            QueryExecutionId: execution.id,
            Query: execution.sql,
            StatementType: execution.statementType,
            WorkGroup: execution.workgroup,
            Status: {
              State: execution.state,
              ...(execution.reason ? { StateChangeReason: execution.reason } : {}),
            },
            ...(execution.outputLocation
              ? { ResultConfiguration: { OutputLocation: execution.outputLocation } }
              : {}),
          },
        });
      }
      if (action === 'GetQueryResults') {
        if (execution.outputLocation) {
          // Athena reads the results from S3 with the caller's permissions.
          const { bucket, prefix } = s3Location(execution.outputLocation);
          await this.iam.require({
            principal: caller.principal,
            action: 's3:GetObject',
            resource: `arn:aws:s3:::${bucket}/${prefix}`,
          });
        }
        const header = execution.statementType === 'DML' ? [execution.columns] : [];
        // Pages of at most 1,000 rows (the header row counts on the first), as Athena returns them;
        // NULL comes back as a Datum without VarCharValue.
        const all = [...header, ...execution.rows];
        const offset = Number(body.NextToken ?? 0);
        const next = offset + RESULT_PAGE_ROWS;
        const rows = all.slice(offset, next).map((row) => ({
          Data: row.map((value) => (value === null ? {} : { VarCharValue: value })),
        }));
        return jsonReply(200, {
          ResultSet: {
            Rows: rows,
            ResultSetMetadata: {
              ColumnInfo: execution.columns.map((name, i) => ({
                Name: name,
                Label: name,
                Type: execution.types[i] ?? 'varchar',
              })),
            },
          },
          ...(next < all.length ? { NextToken: String(next) } : {}),
          UpdateCount: 0,
        });
      }
      if (action === 'StopQueryExecution') return jsonReply(200, {});
      return jsonReply(400, {
        __type: 'InvalidRequestException',
        Message: `The twin does not implement ${action}`,
      });
    } catch (error) {
      if (error instanceof TwinAccessDeniedError)
        return jsonReply(400, { __type: 'AccessDeniedException', Message: error.message });
      throw error;
    }
  }

  #workgroupArn(name: string) {
    return `arn:aws:athena:${this.deployment.assembly.config.region}:${this.account}:workgroup/${name}`;
  }

  async #start(body: Json, caller: CallerIdentity): Promise<Reply> {
    const workgroupName = String(body.WorkGroup ?? 'primary');
    const workgroup = this.#workgroups.get(workgroupName);
    if (!workgroup)
      return jsonReply(400, {
        __type: 'InvalidRequestException',
        Message: `WorkGroup ${workgroupName} is not found.`,
      });
    await this.iam.require({
      principal: caller.principal,
      action: 'athena:StartQueryExecution',
      resource: this.#workgroupArn(workgroupName),
    });
    const sql = String(body.QueryString);
    const output = workgroup.enforce
      ? workgroup.outputLocation
      : (body.ResultConfiguration?.OutputLocation ?? workgroup.outputLocation);
    const id = randomUUID();
    const execution: Execution = {
      id,
      workgroup: workgroupName,
      sql,
      principal: caller.principal,
      state: 'SUCCEEDED',
      statementType: /^\s*(ALTER|DROP|CREATE)/i.test(sql) ? 'DDL' : 'DML',
      columns: [],
      types: [],
      rows: [],
      ...(output ? { outputLocation: `${output.replace(/\/?$/, '/')}${id}.csv` } : {}),
    };
    this.#executions.set(id, execution);
    try {
      await this.#execute(execution, caller);
      if (execution.outputLocation) {
        const csv = [execution.columns, ...execution.rows]
          .map((row) => row.map((v) => (v === null ? '' : `"${v.replaceAll('"', '""')}"`)).join(','))
          .join('\n');
        await this.#writeResult(caller, execution.outputLocation, workgroup.kmsKey, Buffer.from(csv));
      }
    } catch (error) {
      if (error instanceof TwinAccessDeniedError) {
        // Athena accepts the query and fails it: the reason names the denied permission.
        execution.state = 'FAILED';
        execution.reason = `Access denied: ${error.message}`;
      } else {
        execution.state = 'FAILED';
        execution.reason = error instanceof Error ? error.message : String(error);
      }
    }
    this.statements.push({
      sql,
      workgroup: workgroupName,
      principal: caller.principal,
      state: execution.state,
      ...(execution.reason ? { reason: execution.reason } : {}),
    });
    return jsonReply(200, { QueryExecutionId: id });
  }

  async #execute(execution: Execution, caller: CallerIdentity): Promise<void> {
    const sql = execution.sql.trim();
    const addPartition =
      /^ALTER\s+TABLE\s+(\S+)\s+ADD\s+(IF\s+NOT\s+EXISTS\s+)?PARTITION\s*\(([^)]*)\)\s*LOCATION\s+'([^']+)'\s*$/i.exec(
        sql,
      );
    if (addPartition) {
      const [database, name] = splitName(addPartition[1] ?? '');
      const table = this.#tables.get(`${database}.${name}`);
      if (!table) throw new Error(`Table not found ${database}.${name}`);
      await this.#glue(caller, 'glue:GetTable', database, name);
      await this.#glue(caller, 'glue:BatchCreatePartition', database, name);
      const values = Object.fromEntries(
        (addPartition[3] ?? '').split(',').map((pair) => {
          const [key, value] = pair.split('=').map((s) => s.trim());
          return [String(key), String(value).replace(/^'|'$/g, '')];
        }),
      );
      table.partitions.set(JSON.stringify(values), { values, location: addPartition[4] ?? '' });
      return;
    }
    const drop = /^DROP\s+TABLE\s+(IF\s+EXISTS\s+)?(\S+)\s*$/i.exec(sql);
    if (drop) {
      const [database, name] = splitName(drop[2] ?? '');
      await this.#glue(caller, 'glue:DeleteTable', database, name);
      if (!this.#tables.delete(`${database}.${name}`) && !drop[1])
        throw new Error(`Table not found ${database}.${name}`);
      return;
    }
    const external = /^CREATE\s+EXTERNAL\s+TABLE\s+(\S+)\s*\(([^)]*)\)\s*LOCATION\s+'([^']+)'\s*$/i.exec(sql);
    if (external) {
      const [database, name] = splitName(external[1] ?? '');
      await this.#glue(caller, 'glue:CreateTable', database, name);
      this.#add({
        database,
        name,
        location: external[3] ?? '',
        format: 'text',
        columns: (external[2] ?? '').split(',').map((c) => {
          const [column, type] = c.trim().split(/\s+/);
          return { name: String(column), type: String(type) };
        }),
        partitionKeys: [],
        partitions: new Map(),
        projected: false,
      });
      return;
    }
    const ctas = /^CREATE\s+TABLE\s+(\S+)\s+WITH\s*\(([\s\S]*?)\)\s+AS\s+([\s\S]+)$/i.exec(sql);
    if (ctas) {
      await this.#createTableAs(execution, caller, {
        name: ctas[1] ?? '',
        properties: ctasProperties(ctas[2] ?? ''),
        select: ctas[3] ?? '',
      });
      return;
    }
    if (/^CREATE\s+TABLE\s/i.test(sql))
      throw new Error('The twin runs CREATE TABLE only as CTAS with WITH (…)');
    await this.#query(execution, caller);
  }

  /**
   * CREATE TABLE … WITH (…) AS SELECT, with the rules Athena applies: `external_location` is refused in a
   * workgroup that enforces its configuration and must be an empty prefix (HIVE_PATH_ALREADY_EXISTS);
   * the table must not exist; partition columns come last in the SELECT, in `partitioned_by` order;
   * at most 100 partitions. Data is written as Parquet under the location (`key=value/` per
   * partition, files named by the query, no extension) as the caller, with the workgroup's result
   * encryption; the table and its partitions are registered in the catalogue.
   */
  async #createTableAs(
    execution: Execution,
    caller: CallerIdentity,
    ctas: { name: string; properties: Record<string, string | string[]>; select: string },
  ): Promise<void> {
    const [database, name] = splitName(ctas.name);
    const workgroup = this.#workgroups.get(execution.workgroup);
    if (!workgroup) throw new Error(`No workgroup ${execution.workgroup}`);
    const format = String(ctas.properties.format ?? 'PARQUET').toUpperCase();
    if (format !== 'PARQUET') throw new Error(`The twin writes CTAS as Parquet only, not ${format}`);
    const externalLocation = ctas.properties.external_location;
    if (externalLocation !== undefined && workgroup.enforce) {
      throw new AthenaQueryFailure(
        'INVALID_TABLE_PROPERTY: external_location is not allowed when the workgroup enforces its configuration',
      );
    }
    if (!this.#databases.has(database))
      throw new AthenaQueryFailure(`SCHEMA_NOT_FOUND: Schema ${database} does not exist`);
    const partitionedBy = [ctas.properties.partitioned_by ?? []].flat();
    await this.#glue(caller, 'glue:CreateTable', database, name);
    if (partitionedBy.length > 0) await this.#glue(caller, 'glue:BatchCreatePartition', database, name);
    if (this.#tables.has(`${database}.${name}`)) {
      throw new AthenaQueryFailure(
        `TABLE_ALREADY_EXISTS: Destination table '${database}.${name}' already exists`,
      );
    }
    const location = `${String(externalLocation ?? `${workgroup.outputLocation ?? ''}tables/${execution.id}`).replace(/\/?$/, '/')}`;
    const { bucket, prefix } = s3Location(location);
    await this.iam.require({
      principal: caller.principal,
      action: 's3:ListBucket',
      resource: `arn:aws:s3:::${bucket}`,
      context: { 's3:prefix': prefix, 'aws:CalledVia': 'athena.amazonaws.com' },
    });
    if (this.s3.currentKeys(bucket, prefix).length > 0) {
      throw new AthenaQueryFailure(
        `HIVE_PATH_ALREADY_EXISTS: Target directory for table '${database}.${name}' already exists: ${location}`,
      );
    }
    const written: Array<{ key: string; bytes: Buffer; values: Record<string, string> }> = [];
    let columns: Array<{ name: string; type: string }> = [];
    await this.#session(execution, caller, async (connection, dir) => {
      await connection.run(`CREATE TEMP TABLE twin_ctas AS ${ctas.select}`);
      const described = (await connection.runAndReadAll('DESCRIBE twin_ctas')).getRowObjects();
      const all = described.map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
      const tail = all.slice(all.length - partitionedBy.length).map((c) => c.name);
      if (partitionedBy.length > 0 && tail.join(',') !== partitionedBy.join(',')) {
        throw new AthenaQueryFailure(
          `HIVE_COLUMN_ORDER_MISMATCH: Partition keys must be the last columns in the table and in the same order as the table properties: [${partitionedBy.join(', ')}]`,
        );
      }
      columns = all.slice(0, all.length - partitionedBy.length);
      const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');
      const groups =
        partitionedBy.length > 0
          ? (
              await connection.runAndReadAll(`SELECT DISTINCT ${quoted(partitionedBy)} FROM twin_ctas`)
            ).getRowObjects()
          : [{}];
      if (groups.length > CTAS_MAX_PARTITIONS) {
        throw new AthenaQueryFailure(
          'HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of 100 open writers for partitions/buckets',
        );
      }
      for (const [n, group] of groups.entries()) {
        const values = Object.fromEntries(
          partitionedBy.map((k) => [k, group[k] === null ? '__HIVE_DEFAULT_PARTITION__' : String(group[k])]),
        );
        const where = partitionedBy.map((k) =>
          group[k] === null
            ? `"${k}" IS NULL`
            : `CAST("${k}" AS VARCHAR) = '${String(group[k]).replaceAll("'", "''")}'`,
        );
        const file = join(dir, `ctas-${n}.parquet`);
        await connection.run(
          `COPY (SELECT ${quoted(columns.map((c) => c.name))} FROM twin_ctas${where.length ? ` WHERE ${where.join(' AND ')}` : ''}) TO '${file}' (FORMAT parquet)`,
        );
        const folder = partitionedBy.map((k) => `${k}=${encodeURIComponent(values[k] ?? '')}/`).join('');
        written.push({ key: `${prefix}${folder}${execution.id}_${n}`, bytes: await readFile(file), values });
      }
    });
    for (const file of written) {
      await this.#writeResult(caller, `s3://${bucket}/${file.key}`, workgroup.kmsKey, file.bytes);
    }
    this.#add({
      database,
      name,
      location,
      format: 'parquet',
      columns: columns.map((c) => ({ name: c.name, type: athenaType(c.type) })),
      partitionKeys: partitionedBy.map((k) => ({ name: k, type: 'string' })),
      partitions: new Map(
        partitionedBy.length === 0
          ? []
          : written.map((file) => [
              JSON.stringify(file.values),
              {
                values: file.values,
                location: `s3://${bucket}/${file.key.slice(0, file.key.lastIndexOf('/') + 1)}`,
              },
            ]),
      ),
      projected: false,
    });
  }

  /** The tables and views a query names (quoted or not), views expanded to what they read. */
  #referenced(sql: string, seen = new Set<string>()): GlueTable[] {
    const found: GlueTable[] = [];
    for (const match of sql.matchAll(/[`"]?([a-z0-9_]+)[`"]?\.[`"]?([a-z0-9_]+)[`"]?/gi)) {
      const key = `${match[1]}.${match[2]}`;
      const table = this.#tables.get(key);
      if (!table || seen.has(key)) continue;
      seen.add(key);
      found.push(table, ...(table.view ? this.#referenced(table.view, seen) : []));
    }
    return found;
  }

  async #query(execution: Execution, caller: CallerIdentity): Promise<void> {
    await this.#session(execution, caller, async (connection) => {
      const reader = await connection.runAndReadAll(execution.sql);
      execution.columns = reader.columnNames();
      execution.types = reader.columnTypes().map((type) => athenaType(type.toString()));
      execution.rows = reader
        .getRows()
        .map((row) => row.map((value) => (value === null ? null : String(value))));
    });
  }

  /**
   * A DuckDB session holding what the statement reads: every table and view it names, after Athena's
   * checks for the caller (Glue, then S3 reads of the data). The Trino functions Kura calls that
   * DuckDB lacks are macros (test/support/trino-on-duckdb.ts).
   */
  async #session(
    execution: Execution,
    caller: CallerIdentity,
    use: (connection: DuckDBConnection, dir: string) => Promise<void>,
  ): Promise<void> {
    const tables = this.#referenced(execution.sql);
    this.#scratch ??= await mkdtemp(join(process.env.TMPDIR ?? '/tmp', 'kura-twin-athena-'));
    const dir = join(this.#scratch, execution.id);
    await mkdir(dir, { recursive: true });
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      for (const macro of TRINO_STAND_INS) await connection.run(macro);
      for (const database of new Set(tables.map((t) => t.database))) {
        await connection.run(`CREATE SCHEMA IF NOT EXISTS "${database}"`);
      }
      // Tables first (a view reads them), then views in dependency order.
      for (const table of tables.filter((t) => !t.view)) {
        await this.#glue(caller, 'glue:GetTable', table.database, table.name);
        // Projected partitions come from the table's parameters, not from the catalogue.
        if (table.partitionKeys.length > 0 && !table.projection)
          await this.#glue(caller, 'glue:GetPartitions', table.database, table.name);
        await connection.run(await this.#materialise(table, caller, dir, execution.sql));
      }
      for (const view of tables.filter((t) => t.view).reverse()) {
        await this.#glue(caller, 'glue:GetTable', view.database, view.name);
        await connection.run(`CREATE OR REPLACE VIEW "${view.database}"."${view.name}" AS ${view.view}`);
      }
      await use(connection, dir);
    } finally {
      connection.closeSync();
      instance.closeSync();
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** A DuckDB view over a Glue table's data, read as the caller from the twin's S3. */
  async #materialise(table: GlueTable, caller: CallerIdentity, dir: string, sql: string): Promise<string> {
    const columns = table.columns.map((c) => `"${c.name}"`).join(', ');
    const empty = `SELECT ${table.columns
      .map((c) => `CAST(NULL AS VARCHAR) AS "${c.name}"`)
      .concat(table.partitionKeys.map((k) => `CAST(NULL AS VARCHAR) AS "${k.name}"`))
      .join(', ')} WHERE false`;
    const parts: string[] = [];
    const locations = table.projection
      ? [projectedLocation(table, table.projection, sql)]
      : table.partitionKeys.length > 0
        ? [...table.partitions.values()]
        : table.location
          ? [{ values: {}, location: table.location }]
          : [];
    let n = 0;
    for (const { values, location } of locations) {
      // An empty object is no row (Kura's one-column key lists can be empty); DuckDB cannot sniff it.
      const objects = (await this.#readObjects(caller, location)).filter((o) => o.bytes.length > 0);
      const files: string[] = [];
      for (const object of objects) {
        const file = join(dir, `${table.name}-${n++}`);
        await writeFile(file, object.bytes);
        files.push(file);
      }
      if (files.length === 0) continue;
      const list = `[${files.map((f) => `'${f}'`).join(', ')}]`;
      const partitionColumns = Object.entries(values).map(([k, v]) => `'${v}' AS "${k}"`);
      const source =
        table.format === 'json'
          ? `read_json(${list}, format = 'newline_delimited', columns = {${table.columns.map((c) => `"${c.name}": 'VARCHAR'`).join(', ')}})`
          : table.format === 'text'
            ? `read_csv(${list}, header = false, columns = {${table.columns.map((c) => `"${c.name}": 'VARCHAR'`).join(', ')}})`
            : `read_parquet(${list}, hive_partitioning = false, union_by_name = true)`;
      parts.push(
        `SELECT ${columns}${partitionColumns.length ? `, ${partitionColumns.join(', ')}` : ''} FROM ${source}`,
      );
    }
    return `CREATE OR REPLACE VIEW "${table.database}"."${table.name}" AS ${parts.length > 0 ? parts.join(' UNION ALL BY NAME ') : empty}`;
  }

  async stop(): Promise<void> {
    if (this.#scratch) await rm(this.#scratch, { recursive: true, force: true });
  }
}
