import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readLedger } from '../../../functions/domain/ledger/ledger.ts';
import { call, employee, seedUpload, supportClaims, supportPorts, UPLOAD_1 } from './fixtures.ts';

const SURNAMES = ['髙橋', '佐藤', '鈴木', '田中', '渡邊', '伊藤', '山本', '中村', '小林', '齋藤'];
const GIVEN = ['一郎', '花子', '翔太', '美咲', '健', '結衣', '大輔', '陽菜'];

const nameArb = fc
  .tuple(fc.constantFrom(...SURNAMES), fc.constantFrom('\u3000', ' ', ''), fc.constantFrom(...GIVEN))
  .map(([surname, space, given]) => `${surname}${space}${given}`);
const phoneArb = fc.stringMatching(/^0[789]0-\d{4}-\d{4}$/);
const emailArb = fc.stringMatching(/^[a-z][a-z0-9._]{2,10}@[a-z]{3,10}\.(co\.jp|ne\.jp|com)$/);
const accountArb = fc.stringMatching(/^\d{7}$/);
const employeeIdArb = fc.stringMatching(/^EMP-\d{4,6}$/);

const personArb = fc.record({
  employeeId: employeeIdArb,
  name: nameArb,
  phone: phoneArb,
  email: emailArb,
  account: accountArb,
});

describe('support access without a grant', () => {
  it('never returns a direct identifier, bank account or employee number from the upload', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(personArb, { minLength: 1, maxLength: 5 }), async (people) => {
        // Prepare
        const ports = await supportPorts();
        await seedUpload(ports, {
          tenantId: 'demo-a',
          uploadId: UPLOAD_1,
          dataset: 'employees',
          rows: people.map((p) =>
            employee({
              employee_id: p.employeeId,
              name: p.name,
              name_kana: p.name,
              address: p.name,
              phone: p.phone,
              email: p.email,
              bank_account: p.account,
            }),
          ),
          // Row errors as a careless producer might leave them: values unmasked.
          errors: people.flatMap((p, i) => [
            { line: i + 2, column: '氏名', code: 'TOO_LONG', message: { ja: 'x', en: 'x' }, value: p.name },
            { line: i + 2, column: '電話番号', code: 'BAD', message: { ja: 'x', en: 'x' }, value: p.phone },
            { line: i + 2, column: 'email', code: 'BAD', message: { ja: 'x', en: 'x' }, value: p.email },
            { line: i + 2, column: '口座番号', code: 'BAD', message: { ja: 'x', en: 'x' }, value: p.account },
          ]),
        });
        const claims = supportClaims();

        // Act
        const responses = [
          await call(ports, 'GET /support/tenants/{tenantId}/uploads', {
            claims,
            path: { tenantId: 'demo-a' },
          }),
          await call(ports, 'GET /support/tenants/{tenantId}/uploads/{uploadId}', {
            claims,
            path: { tenantId: 'demo-a', uploadId: UPLOAD_1 },
          }),
          await call(ports, 'GET /support/tenants/{tenantId}/uploads/{uploadId}/rows', {
            claims,
            path: { tenantId: 'demo-a', uploadId: UPLOAD_1 },
            query: { limit: '100' },
          }),
        ];

        // Assess
        for (const response of responses) expect(response.status).toBe(200);
        const rows = responses[2]?.json.rows as Array<Record<string, string | null>>;
        expect(rows).toHaveLength(people.length);
        const text = responses.map((r) => r.raw).join('\n');
        for (const person of people) {
          for (const value of [person.name, person.phone, person.email, person.account, person.employeeId]) {
            expect(text).not.toContain(value);
          }
        }
      }),
      { numRuns: 12 },
    );
  });

  it('shows the catalogue’s masked forms of a known employee', async () => {
    // Prepare
    const ports = await supportPorts();
    await seedUpload(ports, {
      tenantId: 'demo-a',
      uploadId: UPLOAD_1,
      dataset: 'employees',
      rows: [employee()],
    });

    // Act
    const response = await call(ports, 'GET /support/tenants/{tenantId}/uploads/{uploadId}/rows', {
      claims: supportClaims(),
      path: { tenantId: 'demo-a', uploadId: UPLOAD_1 },
    });

    // Assess
    expect(response.status).toBe(200);
    expect(response.json.masked).toBe(true);
    expect(response.json.rows[0]).toMatchObject({
      name: '髙＊　＊＊',
      phone: '＊＊＊-＊＊＊＊-5678',
      email: 'y＊＊＊@example.co.jp',
      birth_date: '1985',
      hire_date: '2010',
      postal_code: '東京都',
      address: '＊＊＊',
      bank_account: '＊＊＊',
      gender: 'male',
    });
    expect(response.json.rows[0].employee_id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a tenant user with 403 and records the attempt', async () => {
    // Prepare
    const ports = await supportPorts();

    // Act
    const response = await call(ports, 'GET /support/tenants/{tenantId}/uploads', {
      claims: { sub: 'sub-tenant-demo-a', 'custom:tenant_id': 'demo-a', 'cognito:groups': '[tenant]' },
      path: { tenantId: 'demo-a' },
    });

    // Assess
    expect(response.status).toBe(403);
    const ledger = await readLedger(ports.table, { tenantId: 'demo-a' });
    expect(ledger.map((e) => e.action)).toContain('authorization.refused');
  });
});
