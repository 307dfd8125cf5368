import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../functions/adapters/memory/index.ts';
import { glueDatabases } from '../../../functions/domain/athena-names.ts';
import type { QueryRunner, SqlRow } from '../../../functions/domain/ports/index.ts';
import { defaultSettings } from '../../../functions/domain/settings.ts';
import { publishReleaseOnAthena } from '../../../functions/domain/stats/publish-athena.ts';
import { registerReleasePartitions } from '../../../functions/domain/stats/publish-commit.ts';
import { STATISTICS } from '../../../functions/domain/stats/statistics.ts';
import { biViews } from '../../../functions/domain/stats/views.ts';
import { athenaGrammarErrors, isHiveDdl } from '../../support/athena-grammar.ts';
import { storeEmptyAnonymisedRelease } from '../stats/empty-anonymised.ts';

/** Records every statement a release sends to Athena; no query returns rows. */
class RecordingAthena implements QueryRunner {
  readonly engine = 'athena' as const;
  readonly statements: string[] = [];
  async run(sql: string): Promise<SqlRow[]> {
    this.statements.push(sql);
    return [];
  }
}

const databases = glueDatabases('dev');

/** Every statement Kura sends to Athena: the Athena release path, partition registration, the BI views. */
async function everyStatement(): Promise<string[]> {
  const athena = new RecordingAthena();
  const objects = new MemoryObjectStore();
  // The release audit reads the anonymised tables in-process: empty ones, with the contract's columns.
  await storeEmptyAnonymisedRelease(objects, '20261205T000000Z');
  await publishReleaseOnAthena(
    { objects, athena },
    { releaseId: '20261205T000000Z', settings: defaultSettings, statsBucket: 'kura-dev-stats', databases },
  );
  await registerReleasePartitions(athena, {
    releaseId: '20261205T000000Z',
    statistics: STATISTICS,
    statsBucket: 'kura-dev-stats',
    databases,
  });
  const views = biViews(databases).flatMap((view) => [view.ddl, view.select]);
  return [...athena.statements, ...views];
}

describe('the SQL Kura sends to Athena, checked by the grammars Athena uses', () => {
  it('parses every DDL statement with Hive and every query with Trino', async () => {
    // Act
    const statements = await everyStatement();
    const failures = statements
      .map((sql) => ({ sql: sql.slice(0, 160), errors: athenaGrammarErrors(sql) }))
      .filter((result) => result.errors.length > 0);

    // Assess
    expect(statements.filter(isHiveDdl).length).toBeGreaterThan(STATISTICS.length * 4);
    expect(statements.filter((sql) => !isHiveDdl(sql)).length).toBeGreaterThan(STATISTICS.length * 3);
    expect(failures).toEqual([]);
  });

  it('refuses what Athena refuses: Hive DDL with double-quoted names', () => {
    // Act
    const errors = athenaGrammarErrors(`DROP TABLE IF EXISTS "${databases.statsWork}"."t"`);

    // Assess
    expect(errors.length).toBeGreaterThan(0);
  });
});
