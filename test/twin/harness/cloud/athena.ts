/**
 * The twin's Athena and Glue Data Catalog. The catalogue starts as the templates declare it (databases,
 * tables, Presto views) and changes with the DDL Kura runs (ADD PARTITION, CREATE EXTERNAL TABLE, DROP
 * TABLE). A query runs in DuckDB over the objects of the twin's S3, after the checks Athena makes for
 * the caller: the workgroup, Glue on the catalog, database and table of every table and view it reads,
 * and S3 reads of their data and the write of the results (as the caller, through Athena: KMS by S3).
 * Every statement is recorded, so a test can parse each with the Trino or Hive grammar.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
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
  rows: string[][];
  outputLocation?: string;
}

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
        projected: input.Parameters?.['projection.enabled'] === 'true',
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
        const rows = [...header, ...execution.rows].map((row) => ({
          Data: row.map((value) => ({ VarCharValue: value })),
        }));
        return jsonReply(200, {
          ResultSet: {
            Rows: rows,
            ResultSetMetadata: {
              ColumnInfo: execution.columns.map((name) => ({ Name: name, Label: name, Type: 'varchar' })),
            },
          },
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
      statementType: /^\s*(ALTER|DROP|CREATE\s+EXTERNAL)/i.test(sql) ? 'DDL' : 'DML',
      columns: [],
      rows: [],
      ...(output ? { outputLocation: `${output.replace(/\/?$/, '/')}${id}.csv` } : {}),
    };
    this.#executions.set(id, execution);
    try {
      await this.#execute(execution, caller);
      if (execution.outputLocation) {
        const csv = [execution.columns, ...execution.rows]
          .map((row) => row.map((v) => `"${v.replaceAll('"', '""')}"`).join(','))
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
    if (/^CREATE\s+TABLE\s/i.test(sql)) {
      throw new Error(
        'The twin does not run CTAS yet (the Athena release path is not part of the lifecycle)',
      );
    }
    await this.#query(execution, caller);
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
    const tables = this.#referenced(execution.sql);
    this.#scratch ??= await mkdtemp(join(process.env.TMPDIR ?? '/tmp', 'kura-twin-athena-'));
    const dir = join(this.#scratch, execution.id);
    await mkdir(dir, { recursive: true });
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run('CREATE MACRO approx_percentile(x, p) AS quantile_cont(x, p)');
      for (const database of new Set(tables.map((t) => t.database))) {
        await connection.run(`CREATE SCHEMA IF NOT EXISTS "${database}"`);
      }
      // Tables first (a view reads them), then views in dependency order.
      for (const table of tables.filter((t) => !t.view)) {
        await this.#glue(caller, 'glue:GetTable', table.database, table.name);
        if (table.partitionKeys.length > 0)
          await this.#glue(caller, 'glue:GetPartitions', table.database, table.name);
        await connection.run(await this.#materialise(table, caller, dir));
      }
      for (const view of tables.filter((t) => t.view).reverse()) {
        await this.#glue(caller, 'glue:GetTable', view.database, view.name);
        await connection.run(`CREATE OR REPLACE VIEW "${view.database}"."${view.name}" AS ${view.view}`);
      }
      const reader = await connection.runAndReadAll(execution.sql);
      execution.columns = reader.columnNames();
      execution.rows = reader
        .getRows()
        .map((row) => row.map((value) => (value === null ? '' : String(value))));
    } finally {
      connection.closeSync();
      instance.closeSync();
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** A DuckDB view over a Glue table's data, read as the caller from the twin's S3. */
  async #materialise(table: GlueTable, caller: CallerIdentity, dir: string): Promise<string> {
    const columns = table.columns.map((c) => `"${c.name}"`).join(', ');
    const empty = `SELECT ${table.columns
      .map((c) => `CAST(NULL AS VARCHAR) AS "${c.name}"`)
      .concat(table.partitionKeys.map((k) => `CAST(NULL AS VARCHAR) AS "${k.name}"`))
      .join(', ')} WHERE false`;
    const parts: string[] = [];
    const locations =
      table.partitionKeys.length > 0
        ? [...table.partitions.values()]
        : table.location
          ? [{ values: {}, location: table.location }]
          : [];
    let n = 0;
    for (const { values, location } of locations) {
      const objects = await this.#readObjects(caller, location);
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
