import type { AthenaClient } from '@aws-sdk/client-athena';
import { describe, expect, it } from 'vitest';
import { AthenaQueryError, AthenaQueryRunner } from '../../../functions/adapters/query-runners.ts';

/** Answers Athena commands from a script, in order, and records what was asked. */
function scriptedAthena(answers: unknown[]) {
  const sent: { name: string; input: unknown }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      return answers.shift();
    },
  };
  return { client: client as unknown as AthenaClient, sent };
}

const column = (Name: string, Type: string) => ({ Name, Type });
const row = (...values: (string | undefined)[]) => ({
  Data: values.map((VarCharValue) => ({ VarCharValue })),
});

describe('AthenaQueryRunner', () => {
  it('polls with growing waits until the query succeeds and reads typed rows from every page', async () => {
    // Prepare
    const waits: number[] = [];
    const { client, sent } = scriptedAthena([
      { QueryExecutionId: 'q-1' },
      { QueryExecution: { Status: { State: 'QUEUED' } } },
      { QueryExecution: { Status: { State: 'RUNNING' } } },
      { QueryExecution: { Status: { State: 'SUCCEEDED' } } },
      {
        ResultSet: {
          ResultSetMetadata: {
            ColumnInfo: [column('segment', 'varchar'), column('n', 'bigint'), column('ok', 'boolean')],
          },
          Rows: [row('segment', 'n', 'ok'), row('E-13', '12', 'true')],
        },
        NextToken: 'page-2',
      },
      { ResultSet: { Rows: [row('I-27', undefined, 'false')] } },
    ]);
    const runner = new AthenaQueryRunner({
      client,
      workgroup: 'kura-dev',
      sleep: async (ms) => void waits.push(ms),
    });

    // Act
    const rows = await runner.run('SELECT 1');

    // Assess
    expect(rows).toEqual([
      { segment: 'E-13', n: 12, ok: true },
      { segment: 'I-27', n: null, ok: false },
    ]);
    expect(sent[0]).toEqual({
      name: 'StartQueryExecutionCommand',
      input: { QueryString: 'SELECT 1', WorkGroup: 'kura-dev' },
    });
    expect(waits).toEqual([200, 400]);
  });

  it('raises AthenaQueryError with Athena’s reason when the query fails', async () => {
    // Prepare
    const { client } = scriptedAthena([
      { QueryExecutionId: 'q-2' },
      { QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'SYNTAX_ERROR: line 1:8' } } },
    ]);
    const runner = new AthenaQueryRunner({ client, workgroup: 'kura-dev', sleep: async () => undefined });

    // Act
    const attempt = runner.run('SELEC 1');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(AthenaQueryError);
    await expect(attempt).rejects.toThrow(/q-2 FAILED: SYNTAX_ERROR/);
  });
});
