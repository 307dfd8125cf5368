import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { createIngestHandler } from '../../../functions/ingest/handler.ts';
import { KURA_METRICS, KURA_NAMESPACE } from '../../../functions/observability/catalog.ts';
import { outcomeMetrics } from '../../../functions/observability/outcomes.ts';
import { memoryPorts, sqsMessageFor, stageUpload } from '../ingest/fixtures.ts';
import { stdoutOf } from './output.ts';

const context = {
  functionName: 'kura-ingest',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:ap-northeast-1:123456789012:function:kura-ingest',
} as never;

/** Metric name → value of every EMF document among the lines. */
function emfMetrics(lines: readonly string[]) {
  const found: Record<string, { value: number; namespace: string; service: unknown }> = {};
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    const document = JSON.parse(line) as Record<string, unknown> & {
      _aws?: { CloudWatchMetrics: Array<{ Namespace: string; Metrics: Array<{ Name: string }> }> };
    };
    for (const directive of document._aws?.CloudWatchMetrics ?? []) {
      for (const { Name } of directive.Metrics) {
        found[Name] = {
          value: Number(document[Name]),
          namespace: directive.Namespace,
          service: document.service,
        };
      }
    }
  }
  return found;
}

describe('domain metrics', () => {
  it('publishes an accepted upload and its row counts as EMF in the Kura namespace', async () => {
    // Prepare
    const ports = memoryPorts();
    const staged = await stageUpload(
      ports,
      '社員番号,勤務日,実労働時間\r\n0001,2026-04-01,8\r\n0002,2026-04-01,x\r\n0003,2026-04-02,7.5\r\n',
    );
    const handler = createIngestHandler(async () => ({ ports, settings: defaultSettings }));

    // Act
    const lines = await stdoutOf(() => handler({ Records: [sqsMessageFor(staged.object)] }, context));

    // Assess
    const metrics = emfMetrics(lines);
    const outcome = Object.keys(metrics).find((name) => name.startsWith('Uploads'));
    expect(outcome).toBeDefined();
    expect(metrics[outcome ?? '']).toMatchObject({
      value: 1,
      namespace: KURA_NAMESPACE,
      service: 'kura-ingest',
    });
    expect((metrics.RowsAccepted?.value ?? 0) + (metrics.RowsRejected?.value ?? 0)).toBe(3);
  });

  it('counts a quarantined object', async () => {
    // Prepare
    const ports = memoryPorts();
    const staged = await stageUpload(ports, 'a,b\r\n1,2\r\n', { writeRecord: false });
    const handler = createIngestHandler(async () => ({ ports, settings: defaultSettings }));

    // Act
    const lines = await stdoutOf(() => handler({ Records: [sqsMessageFor(staged.object)] }, context));

    // Assess
    expect(emfMetrics(lines).IngestQuarantine?.value).toBe(1);
  });

  it('names only catalogued metrics for every outcome', () => {
    // Prepare
    const outcomes = [
      { kind: 'upload', status: 'PARTIALLY_ACCEPTED', rows: { accepted: 9, rejected: 1 } },
      { kind: 'quarantine' },
      { kind: 'ingest-retry', messages: 2 },
      { kind: 'masked', rows: 5 },
      { kind: 'purge', purged: 1, overdue: 2, failed: 1, blocked: 0 },
      { kind: 'stats-release', ok: true, suppressedCells: 4, factsOutdated: 0 },
      { kind: 'stats-release', ok: false },
      { kind: 'uploads-stuck', count: 3 },
    ] as const;

    // Act
    const names = outcomes.flatMap((outcome) => outcomeMetrics(outcome).map(([name]) => name));

    // Assess
    for (const name of names) expect(Object.keys(KURA_METRICS)).toContain(name);
    expect(names).toEqual(
      expect.arrayContaining(['UploadsStuck', 'PurgeOverdue', 'StatsReleaseFailed', 'IngestQuarantine']),
    );
  });

  it('counts the companies a published release left out for outdated facts, zero included', () => {
    // Act
    const metrics = (factsOutdated: number) =>
      Object.fromEntries(
        outcomeMetrics({ kind: 'stats-release', ok: true, suppressedCells: 0, factsOutdated }),
      );

    // Assess: zero is written too, so the alarm sees data rather than a gap
    expect(metrics(2).StatsCompaniesFactsOutdated).toBe(2);
    expect(metrics(0).StatsCompaniesFactsOutdated).toBe(0);
  });
});
