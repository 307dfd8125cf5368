import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { observability } from '../../../functions/observability/observability.ts';
import { redactErrorText, safe } from '../../../functions/observability/redact.ts';
import { stdoutOf } from './output.ts';

const { logger } = observability('kura-mask');

/** An error as DuckDB or a careless caller might raise it: the key in its text, its fields and its cause. */
function keyLeakingError(key: Buffer): Error {
  const error = new Error(
    `HMAC blocks failed: unhex('${key.toString('hex')}') in SELECT sha256(opad || '\\x${[...key].map((b) => b.toString(16).padStart(2, '0')).join('\\x')}')`,
    {
      cause: new Error(
        `Conversion Error: Could not convert string '山田 太郎' to INT32 (key ${key.toString('base64')})`,
      ),
    },
  );
  Object.assign(error, { key, keyMaterial: key.toString('base64') });
  return error;
}

describe('log redaction', () => {
  it('does not print a key held in an error, its fields or its cause', async () => {
    // Prepare
    const key = randomBytes(32);

    // Act
    const lines = await stdoutOf(() => logger.error('masking failed', keyLeakingError(key)));

    // Assess
    const output = lines.join('\n');
    expect(output).toContain('masking failed');
    expect(output).toContain('Conversion Error');
    expect(output).not.toContain(key.toString('hex'));
    expect(output).not.toContain(key.toString('base64'));
    expect(output).not.toContain(key.toString('hex').slice(0, 32));
    expect(output).not.toContain('山田 太郎');
  });

  it('never prints any 32-byte key, whatever its bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (bytes) => {
        // Prepare
        const key = Buffer.from(bytes);

        // Act
        const lines = await stdoutOf(() => {
          logger.error('failed', keyLeakingError(key));
          logger.info('context', {
            tenantKey: key,
            hmacKey: key.toString('hex'),
            detail: key.toString('base64'),
          });
        });

        // Assess
        const output = lines.join('\n');
        expect(lines).toHaveLength(2);
        expect(output).not.toContain(key.toString('hex'));
        expect(output).not.toContain(key.toString('base64'));
      }),
      {
        numRuns: 200,
        examples: [[new Uint8Array(32)], [new Uint8Array(32).fill(0xff)], [new Uint8Array(32).fill(0x41)]],
      },
    );
  });

  it('keeps ids, counts, statuses and object keys readable', async () => {
    // Prepare
    const attributes = {
      tenantId: 't-0001',
      uploadId: '2b6f0cc9-1d1f-4f6e-9a51-0b5b1c7a6d10',
      status: 'ACCEPTED',
      rows: { total: 12, accepted: 11, rejected: 1 },
      key: 'raw/tenant=t-0001/dataset=attendance/period=2026-04/upload=2b6f0cc9-1d1f-4f6e-9a51-0b5b1c7a6d10/part-0.parquet',
    };

    // Act
    const lines = await stdoutOf(() => logger.info('Upload ingested', attributes));

    // Assess
    const entry = JSON.parse(lines.at(-1) ?? '{}');
    expect(entry).toMatchObject(attributes);
  });

  it('hides the values an error message quotes', () => {
    // Act
    const text = redactErrorText(
      'Could not convert string "090-1234-5678" to DATE; 「佐藤 花子」 is not a number',
    );

    // Assess
    expect(text).not.toContain('090-1234-5678');
    expect(text).not.toContain('佐藤 花子');
    expect(text).toContain('Could not convert string');
  });

  it('makes a safe copy of data with binary and secret-named fields removed', () => {
    // Prepare
    const key = randomBytes(32);

    // Act
    const copy = safe({ tenantId: 't-1', bytes: key, secretString: 'hunter2', nested: { password: 'x' } });

    // Assess
    expect(JSON.stringify(copy)).not.toContain('hunter2');
    expect(copy).toMatchObject({ tenantId: 't-1', nested: { password: '[redacted]' } });
    expect(JSON.stringify(copy)).not.toContain(key.toString('hex'));
  });
});
