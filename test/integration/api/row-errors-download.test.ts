import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesDigest, KuraClient, postToPresignedUrl, type UploadTicket } from '../../../local/client.ts';
import { DEMO_CONSENT } from '../../../local/demo/seed-demo.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../local/platform.ts';

/**
 * After a partial upload the company downloads every row error (issue 17, item 6): a CSV Excel opens as
 * UTF-8 (BOM, CRLF), in the caller's language, personal values masked, formulas neutralised; nobody else
 * can download it.
 */
let dataDir: string;
let platform: LocalPlatform;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kura-row-errors-'));
  platform = await startLocalPlatform({ dataDir, port: 0, onError: () => undefined });
}, 60_000);
afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const header = '社員番号,勤務日,所定労働時間,実労働時間,残業時間';

describe('GET /uploads/{uploadId}/row-errors', () => {
  it('hands the company every row error as an Excel-safe CSV, and nobody else', async () => {
    // Prepare: 60 rows, 2 bad (one in a personal column), one a formula-looking code.
    const good = Array.from(
      { length: 58 },
      (_, i) => `${String(i + 1).padStart(4, '0')},2026/4/${(i % 28) + 1},8,8,0`,
    );
    const body = Buffer.from(
      `${[header, ...good, '0098,=2026/4/1,8,8,0', '0099,2026/4/1,8,25,0'].join('\r\n')}\r\n`,
      'utf8',
    );
    const client = new KuraClient({
      endpoint: platform.apiUrl,
      token: await platform.token({ role: 'tenant', tenantId: 'demo-a' }),
    });
    const ticket = (
      await client.call<UploadTicket>('POST', '/uploads', {
        dataset: 'attendance',
        fileName: 'kintai.csv',
        contentType: 'text/csv',
        consent: DEMO_CONSENT,
        ...bytesDigest(body),
      })
    ).body;
    await postToPresignedUrl(
      ticket,
      { fileName: 'kintai.csv', contentType: 'text/csv', sizeBytes: body.length },
      Readable.from([body]),
    );
    await platform.settled();
    const url = `${platform.apiUrl}/uploads/${ticket.uploadId}/row-errors`;

    // Act
    const ja = await fetch(url, {
      headers: { authorization: `Bearer ${await platform.token({ role: 'tenant', tenantId: 'demo-a' })}` },
    });
    const jaBytes = Buffer.from(await ja.arrayBuffer());
    const jaText = jaBytes.toString('utf8');
    const other = await fetch(url, {
      headers: { authorization: `Bearer ${await platform.token({ role: 'tenant', tenantId: 'demo-b' })}` },
    });

    // Assess
    expect(ja.status).toBe(200);
    expect(ja.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(ja.headers.get('content-disposition')).toContain(`row-errors-${ticket.uploadId}.csv`);
    expect([...jaBytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // the BOM Excel needs
    expect(jaText.startsWith('\uFEFF行,列,コード,内容,値\r\n'), JSON.stringify(jaText.slice(0, 60))).toBe(
      true,
    );
    const rows = parse(jaText.slice(1), { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.行)).toEqual(['60', '61']);
    expect(rows.find((r) => r.行 === '61')?.値).toBe('＊＊＊');
    const formula = rows.find((r) => r.行 === '60')?.値 ?? '';
    expect(formula).toContain('2026/4/1');
    expect(formula.startsWith('=')).toBe(false); // neutralised: Excel shows it, never runs it
    expect(other.status).toBe(404);
  }, 60_000);
});
