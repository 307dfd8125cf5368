import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUCKETS } from '../../../functions/domain/zones.ts';
import { KURA_METRICS } from '../../../functions/observability/catalog.ts';
import { privacyTable, TABLE_END, TABLE_START } from './privacy-table.ts';

const root = join(import.meta.dirname, '../../..');
const doc = (name: string) => readFileSync(join(root, 'docs', name), 'utf8');

describe('docs match the code', () => {
  it('lists every dataset column with its privacy class as the catalogue declares it', () => {
    // Prepare
    const privacy = doc('PRIVACY.md');

    // Act
    const start = privacy.indexOf(TABLE_START);
    const end = privacy.indexOf(TABLE_END);
    const inDoc = privacy.slice(start, end + TABLE_END.length);

    // Assess
    expect(start, 'PRIVACY.md lost its generated table markers').toBeGreaterThanOrEqual(0);
    expect(inDoc, 'regenerate with the command in test/unit/docs/privacy-table.ts').toBe(privacyTable());
  });

  it('names every function, bucket and stack in the architecture', () => {
    // Prepare
    const architecture = doc('ARCHITECTURE.md');
    const functions = readdirSync(join(root, 'functions')).filter((name) =>
      existsSync(join(root, 'functions', name, 'handler.ts')),
    );
    const stacks = readdirSync(join(root, 'infra/stacks')).filter((name) => name.endsWith('-stack.ts'));

    // Assess
    for (const name of functions) expect(architecture).toContain(`functions/${name}/handler.ts`);
    for (const bucket of BUCKETS.filter((b) => b !== 'access-logs'))
      expect(architecture).toContain(`\`${bucket}\``);
    for (const stack of stacks) expect(architecture).toContain(stack);
    expect(architecture).toContain('```mermaid');
  });

  it('tells operators about every metric and how to redrive dead letters and run test:aws', () => {
    // Prepare
    const operations = doc('OPERATIONS.md');

    // Assess
    for (const metric of Object.keys(KURA_METRICS)) expect(operations).toContain(`\`${metric}\``);
    expect(operations).toContain('aws sqs start-message-move-task');
    expect(operations).toContain('npm run test:aws');
    expect(operations).toContain('legalHold');
  });

  it('states what only real AWS enforces', () => {
    // Prepare
    const limits = doc('LIMITS.md');

    // Assess
    for (const control of [
      'POST policy',
      'Object Lock',
      'versioning',
      'TTL',
      'KMS',
      'bucket policies',
      'Cognito',
      'WAF',
    ]) {
      expect(limits).toContain(control);
    }
  });
});
