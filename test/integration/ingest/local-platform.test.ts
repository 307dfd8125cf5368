import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { rawKey } from '../../../functions/domain/zones.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../local/platform.ts';
import { readParquet } from '../../unit/ingest/parquet.ts';

let dataDir: string;
let platform: LocalPlatform;
let token: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kura-ingest-platform-'));
  platform = await startLocalPlatform({ dataDir, port: 0, onError: () => undefined });
  token = await platform.token({ role: 'tenant', tenantId: 'demo-a' });
});

afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const ticketSchema = z.object({
  uploadId: z.string(),
  url: z.string(),
  fields: z.record(z.string(), z.string()),
});
const uploadSchema = z.object({
  status: z.string(),
  rows: z.object({ total: z.number(), accepted: z.number(), rejected: z.number() }),
  errors: z.array(z.object({ line: z.number(), column: z.string().optional(), code: z.string() })),
  outputs: z.array(z.string()),
});

describe('ingest on the local platform (npm start)', () => {
  it('ends a Shift_JIS attendance upload with a few bad rows PARTIALLY_ACCEPTED, with row errors and readable Parquet', async () => {
    // Prepare: 60 rows; line 12 has an impossible era date, line 40 a full-width number out of range
    const lines = Array.from(
      { length: 60 },
      (_, i) => `${String(i + 1).padStart(4, '0')},令和5年4月${(i % 28) + 1}日,8,7.5,0.5`,
    );
    lines[10] = '0011,平成31年5月1日,8,7.5,0.5';
    lines[38] = '0039,R5.4.11,8,２５,0';
    const body = iconv.encode(
      `社員番号,勤務日,所定労働時間,実労働時間,残業時間\r\n${lines.join('\r\n')}\r\n`,
      'cp932',
    );
    const request = {
      dataset: 'attendance',
      fileName: '勤怠_2023年4月.csv',
      contentType: 'text/csv',
      sizeBytes: body.length,
      sha256: createHash('sha256').update(body).digest('base64'),
      consent: { obtained: true, method: 'written', obtainedAt: '2023-03-01', attestedBy: '人事部長 山田' },
    };
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'accept-language': 'ja',
    };
    const requested = await fetch(`${platform.apiUrl}/uploads`, {
      method: 'POST',
      headers,
      body: JSON.stringify(request),
    });
    const ticket = ticketSchema.parse(await requested.json());
    const form = new FormData();
    for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
    form.append('file', new Blob([body], { type: 'text/csv' }), 'kintai.csv');

    // Act
    const posted = await fetch(ticket.url, { method: 'POST', body: form });
    await platform.settled();
    const upload = uploadSchema.parse(
      await (await fetch(`${platform.apiUrl}/uploads/${ticket.uploadId}`, { headers })).json(),
    );

    // Assess
    expect(posted.status).toBeLessThan(300);
    expect(upload.status).toBe('PARTIALLY_ACCEPTED');
    expect(upload.rows).toEqual({ total: 60, accepted: 58, rejected: 2 });
    expect(upload.errors.map((e) => [e.line, e.column, e.code])).toEqual([
      [12, '勤務日', 'ERA_MISMATCH'],
      [40, '実労働時間', 'OUT_OF_RANGE'],
    ]);
    const key = rawKey('demo-a', 'attendance', '2023-04', ticket.uploadId);
    expect(upload.outputs).toEqual([key]);
    const rows = await readParquet(await platform.ports.objects.get('raw', key));
    expect(rows).toHaveLength(58);
    expect(rows.find((r) => r.employee_id === '0001')).toMatchObject({
      work_date: '2023-04-01',
      actual_hours: 7.5,
    });
  });
});
