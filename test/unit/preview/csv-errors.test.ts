/**
 * The preview's CSV link asked for something that is not there (a statistic name edited by hand, or
 * nothing published yet) is the asker's mistake, answered 404 with a bilingual reason, not a server
 * error (an outsider's check of the local platform found HTTP 500 INTERNAL for both).
 */
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore, MemoryTable } from '../../../functions/adapters/memory/index.ts';
import { errorResponse } from '../../../functions/api/errors.ts';
import { renderPreviewCsv } from '../../../local/preview/page.ts';

const failureOf = async (statistic: string, lang: 'ja' | 'en') => {
  const error = await renderPreviewCsv(
    { objects: new MemoryObjectStore(), table: new MemoryTable() },
    {
      lang,
      statistic,
    },
  ).catch((e: unknown) => e);
  const response = errorResponse(error, lang);
  return { status: response.statusCode, body: JSON.parse(String(response.body)) };
};

describe('the preview CSV of something that is not there', () => {
  it('answers 404 for an unknown statistic, naming it, in Japanese or English', async () => {
    // Act
    const ja = await failureOf('nope', 'ja');
    const en = await failureOf('nope', 'en');

    // Assess
    expect(ja.status).toBe(404);
    expect(ja.body.error.message).toContain('統計「nope」はありません');
    expect(en.status).toBe(404);
    expect(en.body.error.message).toContain('There is no statistic "nope"');
  });

  it('answers 404 for a known statistic before anything is published', async () => {
    // Act
    const missing = await failureOf('overtime_hours_monthly', 'en');

    // Assess
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).not.toBe('INTERNAL');
  });
});
