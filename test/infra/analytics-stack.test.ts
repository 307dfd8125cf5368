import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { glueDatabases, workgroupName } from '../../functions/domain/athena-names.ts';
import { glueTableDescriptions } from '../../functions/domain/masking/glue-tables.ts';
import { biViews, statsGlueTables } from '../../functions/domain/stats/views.ts';
import { BYTES_SCANNED_CUTOFF } from '../../infra/constructs/athena-workgroups.ts';
import { JOB_RETRY_ATTEMPTS } from '../../infra/constructs/job-schedule.ts';
import { bucketName } from '../../infra/naming.ts';
import { DEFAULT_BI_EXPORT } from '../../local/cli/bi.ts';
import {
  allows,
  type CfnJson,
  functionOf,
  rolePolicyOf,
  type SynthesizedStage,
  synthesizeStage,
} from './support.ts';

let dev: SynthesizedStage;
let template: Template;
const GLUE_DATABASES = glueDatabases('dev');
const name = (logical: string) => bucketName('dev', logical, dev.config.account, dev.config.region);
const resources = (type: string) => Object.values(template.findResources(type)) as CfnJson[];
const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const glueArn = (kind: string) => `arn:aws:glue:${dev.config.region}:${dev.config.account}:${kind}`;

/** Every statement of a managed policy, by the policy's name. */
function managedPolicy(policyName: string): CfnJson[] {
  const found = resources('AWS::IAM::ManagedPolicy').filter(
    (p) => p.Properties.ManagedPolicyName === policyName,
  );
  if (found.length !== 1) throw new Error(`expected one managed policy ${policyName}, found ${found.length}`);
  return (found[0] as CfnJson).Properties.PolicyDocument.Statement;
}
const allowed = (statements: CfnJson[]) => statements.filter((statement) => statement.Effect === 'Allow');
const resourcesOf = (statements: CfnJson[]) =>
  statements
    .flatMap((statement) => list(statement.Resource))
    .map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));

beforeAll(() => {
  dev = synthesizeStage('dev');
  template = Template.fromStack(dev.stacks.analytics);
});

describe('analytics stack: Glue catalogue', () => {
  it('creates the databases the masking and statistics SQL names, each named after the stage', () => {
    const names = resources('AWS::Glue::Database').map((db) => db.Properties.DatabaseInput.Name);
    expect(names.sort()).toEqual(
      [
        'kura_dev_raw',
        'kura_dev_pseudonymised',
        'kura_dev_anonymised',
        'kura_dev_stats',
        'kura_dev_stats_admin',
        'kura_dev_stats_work',
      ].sort(),
    );
    expect(Object.values(GLUE_DATABASES).sort()).toEqual(names.sort());
  });

  it('names no Glue database or workgroup the prod stage also uses (two stages fit one account)', () => {
    // Prepare
    const prod = Template.fromStack(synthesizeStage('prod').stacks.analytics);
    const namesOf = (t: Template) => [
      ...Object.values(t.findResources('AWS::Glue::Database')).map((db) => db.Properties.DatabaseInput.Name),
      ...Object.values(t.findResources('AWS::Athena::WorkGroup')).map((wg) => wg.Properties.Name),
    ];

    // Act
    const shared = namesOf(template).filter((name) => namesOf(prod).includes(name));

    // Assess
    expect(namesOf(template).length).toBeGreaterThan(0);
    expect(shared).toEqual([]);
  });

  it('declares every masking, statistics and view table, each in its database', () => {
    const tables = resources('AWS::Glue::Table').map(
      (table) => `${table.Properties.DatabaseName}.${table.Properties.TableInput.Name}`,
    );
    const expected = [
      ...glueTableDescriptions((b) => b).map((t) =>
        t.zone === 'raw'
          ? `kura_dev_raw.${t.name}`
          : t.zone === 'anonymised'
            ? `kura_dev_anonymised.${t.name}`
            : `kura_dev_pseudonymised.${t.name}`,
      ),
      ...statsGlueTables(GLUE_DATABASES).map((t) => `${t.database}.${t.name}`),
      ...biViews(GLUE_DATABASES).map((v) => `${v.database}.${v.name}`),
    ];
    expect(tables.sort()).toEqual(expected.sort());
  });

  it('reads Parquet with partition projection in the masking zones, tenant injected', () => {
    const raw = resources('AWS::Glue::Table').find((t) => t.Properties.TableInput.Name === 'raw_employees');
    const input = raw?.Properties.TableInput;
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toContain('ParquetHiveSerDe');
    expect(input.StorageDescriptor.Location).toBe(`s3://${name('raw')}/raw/`);
    expect(input.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.tenant.type': 'injected',
    });
    expect(input.Parameters['storage.location.template']).toContain(`s3://${name('raw')}/raw/tenant=`);
  });

  it('keeps statistics under stats/ and suppression reasons under stats-admin/, partitioned by release', () => {
    for (const table of resources('AWS::Glue::Table').filter(
      (t) =>
        t.Properties.TableInput.TableType === 'EXTERNAL_TABLE' &&
        t.Properties.DatabaseName.startsWith(GLUE_DATABASES.stats) &&
        t.Properties.TableInput.Name !== 'releases',
    )) {
      const prefix = table.Properties.DatabaseName === GLUE_DATABASES.stats ? 'stats/' : 'stats-admin/';
      expect(table.Properties.TableInput.StorageDescriptor.Location).toBe(`s3://${name('stats')}/${prefix}`);
      expect(table.Properties.TableInput.PartitionKeys.map((k: CfnJson) => k.Name)).toEqual(['release_id']);
    }
  });

  it('declares the releases table of completion markers (JSON lines under stats/) that every view waits for', () => {
    const tables = Object.entries(template.findResources('AWS::Glue::Table')) as Array<[string, CfnJson]>;
    const [releasesId, releases] =
      tables.find(
        ([, t]) =>
          t.Properties.DatabaseName === GLUE_DATABASES.stats && t.Properties.TableInput.Name === 'releases',
      ) ?? [];
    const input = releases?.Properties.TableInput;
    expect(input.StorageDescriptor.Location).toBe(`s3://${name('stats')}/stats/published-releases/`);
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    expect(input.StorageDescriptor.Columns.map((c: CfnJson) => c.Name)).toEqual([
      'release_id',
      'published_at',
    ]);
    expect(input.PartitionKeys).toEqual([]);
    const views = tables.filter(([, t]) => t.Properties.TableInput.TableType === 'VIRTUAL_VIEW');
    expect(views).toHaveLength(biViews(GLUE_DATABASES).length);
    for (const [, view] of views) expect(view.DependsOn).toContain(releasesId);
  });

  it('declares the BI views as Presto views in the stats database, over its tables only', () => {
    const views = resources('AWS::Glue::Table').filter(
      (t) => t.Properties.TableInput.TableType === 'VIRTUAL_VIEW',
    );
    expect(views).toHaveLength(biViews(GLUE_DATABASES).length);
    for (const view of views) {
      expect(view.Properties.DatabaseName).toBe(GLUE_DATABASES.stats);
      expect(view.Properties.TableInput.Parameters.presto_view).toBe('true');
      const encoded =
        /\/\* Presto View: (.*) \*\//.exec(view.Properties.TableInput.ViewOriginalText)?.[1] ?? '';
      const sql = JSON.parse(Buffer.from(encoded, 'base64').toString()).originalSql as string;
      expect(sql).toMatch(/FROM kura_dev_stats\./);
      expect(sql).not.toMatch(/kura_dev_(raw|pseudonymised|anonymised|stats_admin)/);
    }
  });
});

describe('analytics stack: Athena workgroups', () => {
  const workgroup = (wg: string) => {
    const found = resources('AWS::Athena::WorkGroup').find(
      (w) => w.Properties.Name === workgroupName('dev', wg as 'etl' | 'bi' | 'admin'),
    );
    if (!found) throw new Error(`no workgroup ${wg}`);
    return found.Properties.WorkGroupConfiguration;
  };

  it('has the etl, bi and admin workgroups of the stage (no masking workgroup: masking runs in Lambda)', () => {
    expect(
      resources('AWS::Athena::WorkGroup')
        .map((w) => w.Properties.Name)
        .sort(),
    ).toEqual(['kura-dev-admin', 'kura-dev-bi', 'kura-dev-etl']);
  });

  it('enforces the bi and admin configuration: encrypted results under their own prefix, a scan cutoff, metrics', () => {
    for (const wg of ['bi', 'admin'] as const) {
      const config = workgroup(wg);
      expect(config.EnforceWorkGroupConfiguration).toBe(true);
      expect(config.PublishCloudWatchMetricsEnabled).toBe(true);
      expect(config.BytesScannedCutoffPerQuery).toBe(BYTES_SCANNED_CUTOFF[wg]);
      expect(config.ResultConfiguration.OutputLocation).toBe(
        `s3://${name('query-results')}/results/${workgroupName('dev', wg)}/`,
      );
      expect(config.ResultConfiguration.EncryptionConfiguration.EncryptionOption).toBe('SSE_KMS');
      expect(config.ResultConfiguration.EncryptionConfiguration.KmsKey).toBeDefined();
    }
    expect(BYTES_SCANNED_CUTOFF.bi).toBeLessThanOrEqual(10 * 1024 ** 3);
  });

  it('encrypts etl results too, and publishes their metrics for the failure alarms', () => {
    for (const wg of ['etl'] as const) {
      const config = workgroup(wg);
      expect(config.ResultConfiguration.EncryptionConfiguration.EncryptionOption).toBe('SSE_KMS');
      expect(config.PublishCloudWatchMetricsEnabled).toBe(true);
      expect(config.BytesScannedCutoffPerQuery).toBeGreaterThan(0);
    }
  });
});

describe('analytics stack: BI access', () => {
  let bi: CfnJson[];
  beforeAll(() => {
    bi = managedPolicy('kura-dev-bi');
  });

  it('reads only the stage stats database and its tables in Glue', () => {
    const glue = allowed(bi).filter((s) => list(s.Action).some((a: string) => a.startsWith('glue:')));
    expect(resourcesOf(glue).sort()).toEqual(
      [glueArn('catalog'), glueArn('database/kura_dev_stats'), glueArn('table/kura_dev_stats/*')].sort(),
    );
    expect(glue.flatMap((s) => list(s.Action)).every((a: string) => /^glue:(Get|BatchGet)/.test(a))).toBe(
      true,
    );
  });

  it('uses only the bi workgroup', () => {
    const athena = allowed(bi).filter((s) => list(s.Action).some((a: string) => a.startsWith('athena:')));
    expect(resourcesOf(athena)).toEqual([
      `arn:aws:athena:${dev.config.region}:${dev.config.account}:workgroup/kura-dev-bi`,
    ]);
  });

  it('reads stats/ of the stats bucket and writes only its own result prefix', () => {
    expect(allows({ Statement: bi }, 's3:GetObject', `arn:aws:s3:::${name('stats')}/stats/*`)).toBe(true);
    expect(
      allows(
        { Statement: bi },
        's3:PutObject',
        `arn:aws:s3:::${name('query-results')}/results/kura-dev-bi/*`,
      ),
    ).toBe(true);
    const writes = allowed(bi).filter((s) => list(s.Action).includes('s3:PutObject'));
    expect(resourcesOf(writes)).toEqual([`arn:aws:s3:::${name('query-results')}/results/kura-dev-bi/*`]);
  });

  it('allows nothing in raw, landing, curated, audit, stats-admin or the other Glue databases', () => {
    const text = resourcesOf(allowed(bi)).join('\n');
    for (const bucket of ['raw', 'landing', 'curated', 'audit']) expect(text).not.toContain(name(bucket));
    expect(text).not.toContain('stats-admin');
    for (const db of [
      GLUE_DATABASES.raw,
      GLUE_DATABASES.pseudonymised,
      GLUE_DATABASES.anonymised,
      GLUE_DATABASES.statsAdmin,
      GLUE_DATABASES.statsWork,
    ]) {
      expect(text).not.toMatch(new RegExp(`${db}(/|$)`, 'm'));
    }
    expect(
      allowed(bi)
        .flatMap((s) => list(s.Action))
        .some((a: string) => a.endsWith('*')),
    ).toBe(false);
  });

  it('gives the BI role the BI policy and nothing else', () => {
    const role = resources('AWS::IAM::Role').find((r) => r.Properties.RoleName === 'kura-dev-bi');
    expect(role?.Properties.ManagedPolicyArns).toHaveLength(1);
    expect(role?.Properties.Policies).toBeUndefined();
  });

  it('lets the admin role analyse pseudonymised data but never raw data', () => {
    const admin = managedPolicy('kura-dev-analysis-admin');
    expect(
      allows({ Statement: admin }, 's3:GetObject', `arn:aws:s3:::${name('curated')}/pseudonymised/*`),
    ).toBe(true);
    const text = resourcesOf(allowed(admin)).join('\n');
    expect(text).not.toContain(name('raw'));
    expect(text).not.toContain(GLUE_DATABASES.raw);
    const athena = allowed(admin).filter((s) => list(s.Action).some((a: string) => a.startsWith('athena:')));
    expect(resourcesOf(athena)).toEqual([
      `arn:aws:athena:${dev.config.region}:${dev.config.account}:workgroup/kura-dev-admin`,
    ]);
  });
});

describe('analytics stack: stats-release function', () => {
  let fn: CfnJson;
  let policy: CfnJson;
  beforeAll(() => {
    fn = functionOf(template, 'StatsRelease');
    policy = rolePolicyOf(template, 'StatsRelease');
  });

  it('runs with DuckDB and the etl workgroup', () => {
    expect(fn.Properties.Layers).toHaveLength(1);
    expect(fn.Properties.Environment.Variables).toMatchObject({
      KURA_ATHENA_WORKGROUP: 'kura-dev-etl',
      KURA_BUCKET_STATS: name('stats'),
      KURA_BUCKET_CURATED: name('curated'),
    });
  });

  it('reads the anonymised zone and writes and deletes both stats prefixes', () => {
    expect(allows(policy, 's3:GetObject', `arn:aws:s3:::${name('curated')}/anonymised/*`)).toBe(true);
    expect(allows(policy, 's3:GetObject', `arn:aws:s3:::${name('curated')}/*`)).toBe(false);
    expect(allows(policy, 's3:PutObject', `arn:aws:s3:::${name('stats')}/*`)).toBe(true);
    expect(allows(policy, 's3:DeleteObject', `arn:aws:s3:::${name('stats')}/*`)).toBe(true);
  });

  it('may query the uploads table’s index of unfinished uploads, and read nothing else of that table', () => {
    // It leaves out tenants with a withdrawal unfinished (domain/release/release.ts contributingTenants).
    const onUploads = (policy.Statement as CfnJson[]).filter(
      (s) =>
        s.Effect === 'Allow' &&
        list(s.Action).some((a: string) => a.startsWith('dynamodb:')) &&
        JSON.stringify(s.Resource).includes('table/kura-dev-uploads'),
    );
    expect(onUploads).toHaveLength(1);
    expect(list(onUploads[0]?.Action)).toEqual(['dynamodb:Query']);
    expect(JSON.stringify(onUploads[0]?.Resource)).toContain('/index/byInFlight');
    expect(list(onUploads[0]?.Resource)).toHaveLength(1);
    expect(fn.Properties.Environment.Variables.KURA_TABLE_UPLOADS).toBeDefined();
  });

  it('may create and drop tables only in the stats databases', () => {
    const writes = (policy.Statement as CfnJson[]).filter(
      (s) => s.Effect === 'Allow' && list(s.Action).includes('glue:CreateTable'),
    );
    const text = resourcesOf(writes).join('\n');
    for (const db of [GLUE_DATABASES.stats, GLUE_DATABASES.statsAdmin, GLUE_DATABASES.statsWork])
      expect(text).toContain(`table/${db}/*`);
    expect(text).not.toMatch(/kura_dev_(raw|pseudonymised|anonymised)/);
  });

  it('runs monthly on Japanese time with retries and a dead-letter queue', () => {
    const [schedule] = resources('AWS::Scheduler::Schedule');
    expect(schedule?.Properties.ScheduleExpressionTimezone).toBe('Asia/Tokyo');
    expect(schedule?.Properties.ScheduleExpression).toMatch(/^cron\(0 4 2 \* \? \*\)$/);
    expect(schedule?.Properties.Target.RetryPolicy.MaximumRetryAttempts).toBe(JOB_RETRY_ATTEMPTS);
    expect(schedule?.Properties.Target.DeadLetterConfig.Arn).toBeDefined();
  });
});

/**
 * docs/BI.md names roles, workgroups, databases, views and IAM actions; each must exist in the synthesized
 * `dev` stage as the document says, and every BI view must be in both languages, so the document cannot
 * drift from what is deployed.
 */
const biDoc = readFileSync(new URL('../../docs/BI.md', import.meta.url), 'utf8');
const [biDocJa = '', biDocEn = ''] = biDoc.split(/^## English$/m);
const named = (text: string) => [...new Set([...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? ''))];
const ofType = (type: string) => resources(type);

describe('docs/BI.md against the synthesized dev stage', () => {
  it('names the BI role, its managed policy, the bi workgroup and the stats database as synthesized', () => {
    // Prepare
    const role = ofType('AWS::IAM::Role').find((r) => r.Properties.RoleName === 'kura-dev-bi');
    const policy = ofType('AWS::IAM::ManagedPolicy').find(
      (r) => r.Properties.ManagedPolicyName === 'kura-dev-bi',
    );
    const workgroup = ofType('AWS::Athena::WorkGroup').find((r) => r.Properties.Name === 'kura-dev-bi');
    const databases = ofType('AWS::Glue::Database').map((r) => r.Properties.DatabaseInput.Name);

    // Assess
    for (const text of [biDocJa, biDocEn]) {
      expect(named(text)).toEqual(
        expect.arrayContaining(['kura-dev-bi', 'kura_dev_stats', 'AwsDataCatalog']),
      );
    }
    expect(role).toBeDefined();
    expect(JSON.stringify(role?.Properties.ManagedPolicyArns)).toContain('BiPolicy');
    expect(policy).toBeDefined();
    expect(workgroup?.Properties.WorkGroupConfiguration.EnforceWorkGroupConfiguration).toBe(true);
    expect(workgroup?.Properties.WorkGroupConfiguration.BytesScannedCutoffPerQuery).toBe(1024 ** 3);
    expect(databases).toContain('kura_dev_stats');
  });

  it('names every BI view in both languages, and only views and tables that exist in the stats database', () => {
    // Prepare
    const tables = ofType('AWS::Glue::Table');
    const views = tables
      .filter((t) => t.Properties.TableInput.TableType === 'VIRTUAL_VIEW')
      .map((t) => String(t.Properties.TableInput.Name));
    const statsTables = tables.map((t) => String(t.Properties.TableInput.Name));

    // Assess
    expect(views.length).toBeGreaterThan(0);
    for (const text of [biDocJa, biDocEn]) {
      const mentioned = named(text).filter((name) => /^[a-z][a-z0-9_]*_(all|latest)$/.test(name));
      expect(mentioned.sort()).toEqual([...views].sort());
      const tableNames = named(text).filter(
        (name) => /^[a-z][a-z0-9_]*$/.test(name) && statsTables.includes(name),
      );
      expect(tableNames).toEqual(expect.arrayContaining(['releases', 'overtime_hours_monthly']));
    }
  });

  it('names only actions and prefixes the BI policy allows', () => {
    // Prepare
    const policy = ofType('AWS::IAM::ManagedPolicy').find(
      (r) => r.Properties.ManagedPolicyName === 'kura-dev-bi',
    );
    const statements = list(policy?.Properties.PolicyDocument.Statement as CfnJson[]).filter(
      (s) => s.Effect === 'Allow',
    );
    const allowed = new Set(statements.flatMap((s) => list(s.Action as string | string[])));
    const resourcesText = JSON.stringify(statements.map((s) => s.Resource));
    const actions = named(biDoc).filter((name) => /^(athena|glue|s3|kms|sts):[A-Za-z]+$/.test(name));
    const prefixes = named(biDoc).filter((name) => /^(stats|results)\/[a-z0-9-]*\/?$/.test(name));

    // Assess
    expect(actions.length).toBeGreaterThan(8);
    expect(actions.filter((action) => !allowed.has(action))).toEqual([]);
    expect(prefixes).toEqual(expect.arrayContaining(['stats/', 'results/kura-dev-bi/']));
    for (const prefix of prefixes) expect(resourcesText).toContain(`/${prefix}*`);
    expect(resourcesText).not.toContain('stats-admin');
  });

  it('gives the local export with its default file', () => {
    for (const text of [biDocJa, biDocEn]) {
      expect(text).toContain('npx kura bi export');
      expect(text).toContain(`./${DEFAULT_BI_EXPORT}`);
    }
  });
});
