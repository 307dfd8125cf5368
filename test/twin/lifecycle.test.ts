import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { glueDatabases, workgroupName } from '../../functions/domain/athena-names.ts';
import { jobIdOf } from '../../functions/domain/jobs/jobs.ts';
import { jobFunctionName, keySecretPrefix, replicaBucketName } from '../../infra/naming.ts';
import { athenaGrammarErrors } from '../support/athena-grammar.ts';
import {
  ADMIN,
  expectStatus,
  finishedJob,
  lifecyclePlan,
  registerCompanies,
  tenantClaims,
  uploadFiles,
} from './harness/scenario.ts';
import { Twin } from './harness/twin.ts';

describe.each(['dev', 'prod'] as const)('the lifecycle through the twin of %s', (stage) => {
  let twin: Twin;
  const plan = lifecyclePlan();
  const tenants = plan.companies.map((c) => c.tenantId);
  const purged = tenants[0] as string;
  let uploads: Array<{ tenantId: string; uploadId: string }> = [];

  beforeAll(async () => {
    twin = await Twin.start(stage, inject('twinAssemblies')[stage]);
  });
  afterAll(async () => {
    await twin?.stop();
  });

  /** What went wrong inside the twin so far, for a readable failure. */
  const diagnostics = () =>
    JSON.stringify(
      {
        denials: twin.iam.denials.map(
          (d) =>
            `${d.request.principal.split('/').at(-1)} ${d.request.action} ${d.request.resource} ${d.result}`,
        ),
        violations: twin.lambda.violations,
        failedInvocations: twin.lambda.invocations
          .filter((i) => !i.ok)
          .map((i) => `${i.functionName}: ${i.error}`),
        unrouted: twin.unrouted,
        deadLetters: twin.events.deadLetters.length,
        athena: twin.athena.statements.filter((s) => s.state === 'FAILED').map((s) => s.reason),
      },
      null,
      2,
    );

  it('registers companies, takes their uploads through the presigned POST, ingests and masks them', async () => {
    // Act
    await registerCompanies(twin, plan);
    uploads = await uploadFiles(twin, plan);
    await twin.settled();

    // Assess
    const statuses = [];
    for (const upload of uploads) {
      const record = await twin.api('GET /uploads/{uploadId}', {
        claims: tenantClaims(upload.tenantId),
        path: { uploadId: upload.uploadId },
      });
      statuses.push(record.json.status);
    }
    expect(
      statuses.every((status) => status === 'ACCEPTED' || status === 'PARTIALLY_ACCEPTED'),
      diagnostics(),
    ).toBe(true);
    const pseudonymised = twin.s3.versions(
      `kura-${stage}-curated-${twin.account}-${twin.region}`,
      'pseudonymised/',
    );
    expect(pseudonymised.length).toBeGreaterThan(0);
    expect(twin.iam.denials, diagnostics()).toEqual([]);
  });

  it('publishes a release on the monthly schedule, and the API serves statistics and a benchmark', async () => {
    // Act
    const requestsBefore = twin.s3.requests.length;
    const scheduledAt = new Date('2026-12-20T01:00:00Z');
    const fired = await twin.events.fireSchedule('MonthlyStatsRelease', scheduledAt);
    await twin.settled();
    const releaseRequests = twin.s3.requests
      .slice(requestsBefore)
      .filter((r) => r.principal?.includes('stats-release') || r.principal?.includes('StatsRelease'));
    const summary = await twin.api('GET /stats', { claims: tenantClaims(tenants[1] as string) });
    const table = await twin.api('GET /stats/{name}', {
      claims: tenantClaims(tenants[1] as string),
      path: { name: 'overtime_hours_monthly' },
    });
    const benchmark = await twin.api('GET /stats/{name}/benchmark', {
      claims: tenantClaims(tenants[1] as string),
      path: { name: 'overtime_hours_monthly' },
    });
    const notice = await twin.api('GET /public/notices/{releaseId}', {
      path: { releaseId: 'latest' },
      lang: 'ja',
    });

    // The same firing again (Scheduler's or Lambda's retry of its event) is the same job, which has ended
    const jobId = jobIdOf({ scheduledAt: '2026-12-20T01:00:00Z' }, 'release', () => 'not derived');
    const again = await twin.events.fireSchedule('MonthlyStatsRelease', scheduledAt);
    await twin.settled();
    const job = await twin.api('GET /admin/jobs/{jobId}', { claims: ADMIN, path: { jobId } });
    const after = await twin.api('GET /stats', { claims: tenantClaims(tenants[1] as string) });

    // Assess
    expect(fired.invoked, diagnostics()).toBe(true);
    expect(fired.event).toEqual({ scheduledAt: '2026-12-20T01:00:00Z' });
    expectStatus(job, 200, 'GET /admin/jobs/{jobId} of the scheduled release');
    expect(job.json).toMatchObject({ state: 'SUCCEEDED', attempts: 1, reason: 'scheduled' });
    expect(job.json.result.releaseId).toBe(summary.json.releaseId);
    expect(again.invoked).toBe(true);
    expect(after.json.releaseId).toBe(summary.json.releaseId);
    expectStatus(summary, 200, 'GET /stats');
    expect(summary.json.statistics.length).toBeGreaterThan(0);
    expectStatus(table, 200, 'GET /stats/{name}');
    expect(table.json.cells.some((cell: { suppressed: boolean }) => cell.suppressed === false)).toBe(true);
    expectStatus(benchmark, 200, 'GET /stats/{name}/benchmark');
    // The APPI notice is public: no sign-in, and the route has no JWT authorizer.
    expectStatus(notice, 200, 'GET /public/notices/latest without sign-in');
    expect(twin.iam.denials, diagnostics()).toEqual([]);
    // The release reads every company without a request S3 refuses: at 50,000 companies each refused
    // read (a missing key answers 403 to a role that may not list the whole bucket) costs a second
    // request, and shows in CloudTrail as an access denied
    expect(releaseRequests.length).toBeGreaterThan(0);
    expect(
      releaseRequests.filter((r) => r.status === 403).map((r) => `${r.method} ${r.path}`),
      diagnostics(),
    ).toEqual([]);
  });

  it('publishes a release in two invocations when the first is left too little time to publish', async () => {
    // Prepare: the release function's next invocation starts with one minute of its 15 left
    const releaseFunction = jobFunctionName(stage, 'release');
    twin.lambda.leaveTime(releaseFunction, 60_000);
    const invocationsBefore = twin.lambda.invocations.length;
    const denialsBefore = twin.iam.denials.length;

    // Act
    const job = await finishedJob(twin, await twin.api('POST /admin/releases', { claims: ADMIN }), 'release');
    const summary = await twin.api('GET /stats', { claims: tenantClaims(tenants[1] as string) });

    // Assess: the function started itself (by name, under its own role) and published what it anonymised
    expect(job, diagnostics()).toMatchObject({ state: 'SUCCEEDED', attempts: 2 });
    expect(job.result.pooledCompanies).toBe(tenants.length);
    expect(summary.json.releaseId).toBe(job.result.releaseId);
    const runs = twin.lambda.invocations
      .slice(invocationsBefore)
      .filter((i) => i.functionName === releaseFunction);
    expect(runs.map((run) => [run.kind, run.ok])).toEqual([
      ['async', true],
      ['async', true],
    ]);
    expect(twin.iam.denials.slice(denialsBefore), diagnostics()).toEqual([]);
  });

  it('runs the other functions as deployed: a re-mask on demand, the ledger export, the support sweep and the upload watch', async () => {
    // Prepare
    const upload = uploads.find((u) => u.tenantId === tenants[1]) as { tenantId: string; uploadId: string };
    const auditBucket = `kura-${stage}-audit-${twin.account}-${twin.region}`;

    // Act
    const masked = (await twin.lambda.invoke(twin.fn('kura-mask').name, upload)) as { rows: number };
    const exportFired = await twin.events.fireSchedule('DailyLedgerExport');
    const sweepFired = await twin.events.fireSchedule('SupportSweepSchedule');
    const watchFired = await twin.events.fireSchedule('UploadWatchSchedule');
    await twin.settled();

    // Assess
    expect(masked.rows).toBeGreaterThan(0);
    expect([exportFired.invoked, sweepFired.invoked, watchFired.invoked]).toEqual([true, true, true]);
    const watch = twin.lambda.invocations.filter((i) => i.functionName === twin.fn('kura-upload-watch').name);
    expect(watch.map((i) => i.ok)).toEqual([true]);
    expect(twin.s3.versions(auditBucket, 'ledger-exports/').length, diagnostics()).toBeGreaterThan(0);
    expect(
      twin.lambda.invocations.filter((i) => !i.ok),
      diagnostics(),
    ).toEqual([]);
    expect(twin.iam.denials, diagnostics()).toEqual([]);
  });

  it('lets the BI role read the statistics views and denies it raw, pseudonymised and admin data', async () => {
    // Prepare
    const databases = glueDatabases(stage);
    const biRole = `arn:aws:iam::${twin.account}:role/kura-${stage}-bi`;
    const athena = new AthenaClient(twin.clientConfig(biRole));
    const s3 = new S3Client({ ...twin.clientConfig(biRole), forcePathStyle: true });
    let rows = 0;
    const query = async (sql: string) => {
      const { QueryExecutionId } = await athena.send(
        new StartQueryExecutionCommand({ QueryString: sql, WorkGroup: workgroupName(stage, 'bi') }),
      );
      const { QueryExecution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId }));
      if (QueryExecution?.Status?.State === 'SUCCEEDED') {
        const results = await athena.send(new GetQueryResultsCommand({ QueryExecutionId }));
        rows = (results.ResultSet?.Rows?.length ?? 1) - 1;
      }
      return QueryExecution?.Status?.State;
    };
    const before = twin.iam.denials.length;

    // Act
    const latest = await query(`SELECT * FROM ${databases.stats}.overtime_hours_monthly_latest`);
    const pseudonymised = await query(`SELECT * FROM ${databases.pseudonymised}.pseudonymised_employees`);
    const admin = await query(`SELECT * FROM ${databases.statsAdmin}.overtime_hours_monthly_suppression`);
    const raw = await s3
      .send(
        new GetObjectCommand({ Bucket: `kura-${stage}-raw-${twin.account}-${twin.region}`, Key: 'raw/x' }),
      )
      .then(
        () => 'read',
        (error: Error) => error.name,
      );

    // Assess
    expect(latest, diagnostics()).toBe('SUCCEEDED');
    expect(rows).toBeGreaterThan(0);
    expect([pseudonymised, admin, raw]).toEqual(['FAILED', 'FAILED', 'AccessDenied']);
    expect(twin.iam.denials.slice(before).every((d) => d.request.principal === biRole)).toBe(true);
  });

  it('purges a company through the purge function, verifies and certifies, then releases without it', async () => {
    // Prepare: the company's contract ended and its retention is over.
    expectStatus(
      await twin.api('PATCH /admin/tenants/{tenantId}', {
        claims: ADMIN,
        path: { tenantId: purged },
        body: { contract: { end: '2026-01-31', retentionDaysAfterEnd: 0 } },
      }),
      200,
      'end the contract',
    );
    // Two accounts of the company and one of a company that stays, as an administrator created them.
    twin.cognito.addUser(`${stage}-purged-1`, { 'custom:tenant_id': purged, email: 'a@example.co.jp' });
    twin.cognito.addUser(`${stage}-purged-2`, { 'custom:tenant_id': purged, email: 'b@example.co.jp' });
    twin.cognito.addUser(`${stage}-stays-1`, { 'custom:tenant_id': tenants[1] as string });
    // An object of the company written while an operator had suspended the raw bucket's versioning: its
    // version id is `null`, and only a delete naming that version removes it.
    const rawBucket = twin.s3.bucketNames.find((name) => name.startsWith(`kura-${stage}-raw-`)) ?? '';
    twin.s3.putWhileVersioningSuspended(
      rawBucket,
      `raw/tenant=${purged}/dataset=sales/suspended.parquet`,
      'x',
    );
    const denialsBefore = twin.iam.denials.length;

    // Act
    const job = await finishedJob(
      twin,
      await twin.api('POST /admin/tenants/{tenantId}/purge', { claims: ADMIN, path: { tenantId: purged } }),
      'purge',
    );
    const certificate = await twin.api('GET /admin/certificates/{tenantId}', {
      claims: ADMIN,
      path: { tenantId: purged },
    });
    const release = await twin.api('GET /admin/jobs/{jobId}', {
      claims: ADMIN,
      path: { jobId: String(job.result?.releaseJobId) },
    });

    // Assess
    expect(job, diagnostics()).toMatchObject({ state: 'SUCCEEDED', result: { outcome: 'purged' } });
    expectStatus(certificate, 200, 'certificate');
    expect(certificate.json.chain.valid).toBe(true);
    for (const bucket of twin.s3.bucketNames) {
      const left = twin.s3
        .versions(bucket)
        .filter((v) => v.key.includes(purged) && !v.key.startsWith('certificates/'));
      expect(left, bucket).toEqual([]);
    }
    if (stage === 'prod') {
      const replica = replicaBucketName(stage, 'curated', twin.account, 'ap-northeast-3');
      expect(twin.s3.versions(replica).filter((v) => v.key.includes(`tenant=${purged}/`))).toEqual([]);
      expect(certificate.json.certificate.deleted.buckets['curated-replica'].versions).toBeGreaterThan(0);
    }
    expect(twin.secrets.exists(`${keySecretPrefix(stage)}${purged}`)).toBe(false);
    for (const username of [`${stage}-purged-1`, `${stage}-purged-2`])
      expect(twin.cognito.user(username)).toMatchObject({ enabled: false, signedOut: true });
    expect(twin.cognito.user(`${stage}-stays-1`)).toMatchObject({ enabled: true, signedOut: false });
    expect(certificate.json.certificate.userAccounts).toEqual({ disabled: 2 });
    expect(release.json, diagnostics()).toMatchObject({ state: 'SUCCEEDED', reason: 'tenant-purged' });
    expect(release.json.result.contributingTenants).toBe(tenants.length - 1);
    expect(twin.iam.denials.slice(denialsBefore), diagnostics()).toEqual([]);
  });

  it('sent Athena only statements its grammars parse (Hive for DDL, Trino for queries)', () => {
    // Act
    const failures = twin.athena.statements
      .map((statement) => ({ sql: statement.sql.slice(0, 120), errors: athenaGrammarErrors(statement.sql) }))
      .filter((result) => result.errors.length > 0);

    // Assess
    expect(twin.athena.statements.some((s) => /^ALTER TABLE/.test(s.sql))).toBe(true);
    expect(failures).toEqual([]);
  });

  it('broke no Lambda limit, wrote nothing outside /tmp, lost no event and called no service the twin lacks', () => {
    expect(twin.lambda.violations).toEqual([]);
    expect(twin.s3.failedDeliveries).toEqual([]);
    expect(twin.events.deadLetters).toEqual([]);
    expect(twin.unrouted).toEqual([]);
    expect(
      twin.lambda.invocations.filter((i) => !i.ok),
      diagnostics(),
    ).toEqual([]);
  });
});
