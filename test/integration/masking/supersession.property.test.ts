/**
 * Corrections take effect by the server's order, never by chance: for random uploads of sales and
 * attendance (each covering some months), masked in a random arrival order, the tenant's facts hold
 * exactly what the uploads in force say, where in force means the latest in the tenant's order for its
 * dataset and month; and the records say which upload superseded which.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { factKey } from '../../../functions/domain/masking/facts.ts';
import { tokenOf } from '../../../functions/domain/masking/hmac.ts';
import { pseudonymise } from '../../../functions/domain/masking/pseudonymise.ts';
import { uploadRecordSchema } from '../../../functions/domain/uploads/model.ts';
import { readCells, seedTenant, seedUpload, testPorts } from './fixtures.ts';

const TENANT = 'tenant-s';
const MONTHS = ['2025-04', '2025-05', '2025-06'] as const;
const EMPLOYEE = {
  employee_id: 'E1',
  birth_date: '1990-01-01',
  gender: 'female',
  hire_date: '2020-04-01',
  employment_type: 'regular',
};

interface PlannedUpload {
  readonly dataset: 'sales' | 'attendance';
  /** Month → the value the upload says for it (sales amount, or overtime hours on the 5th). */
  readonly months: Readonly<Record<string, number>>;
}

const upload = fc.record({
  dataset: fc.constantFrom('sales' as const, 'attendance' as const),
  months: fc
    .subarray([...MONTHS], { minLength: 1 })
    .chain((months) =>
      fc
        .tuple(...months.map(() => fc.integer({ min: 1, max: 9 })))
        .map((values) => Object.fromEntries(months.map((m, i) => [m, values[i] ?? 1]))),
    ),
});

/** A random id per upload (as the server's UUIDs are), so ids sort in no relation to the order. */
const ids = (n: number) => fc.uniqueArray(fc.uuid(), { minLength: n, maxLength: n });

/** What the facts must say: per dataset and month, the value of the latest upload (by sequence) that covers it. */
function expected(uploads: readonly PlannedUpload[]) {
  const latest: Record<string, number> = {};
  for (const u of uploads)
    for (const [month, value] of Object.entries(u.months)) latest[`${u.dataset}|${month}`] = value;
  return latest;
}

describe('supersession by the server-assigned order', () => {
  it('builds facts from exactly the uploads in force, whatever order they are masked in', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(upload, { minLength: 2, maxLength: 5 }).chain((uploads) =>
          fc.tuple(
            fc.constant(uploads),
            ids(uploads.length),
            fc.shuffledSubarray(
              uploads.map((_, i) => i),
              {
                minLength: uploads.length,
                maxLength: uploads.length,
              },
            ),
          ),
        ),
        async ([uploads, uploadIds, arrival]) => {
          // Prepare: the register, then uploads requested in order (sequence 2, 3, …)
          const ports = testPorts();
          await seedTenant(ports, TENANT, { industry: 'E', prefecture: '13', sizeBand: '5-19' });
          await seedUpload(
            ports,
            TENANT,
            'register',
            'employees',
            { '2025-03': [EMPLOYEE] },
            { sequence: 1 },
          );
          await pseudonymise(ports, { tenantId: TENANT, uploadId: 'register' });
          for (const [i, u] of uploads.entries()) {
            const rows = Object.fromEntries(
              Object.entries(u.months).map(([month, value]) => [
                month,
                u.dataset === 'sales'
                  ? [{ period_month: month, sales_amount: value * 1_000 }]
                  : [
                      {
                        employee_id: 'E1',
                        work_date: `${month}-05`,
                        actual_hours: 8 + value,
                        overtime_hours: value,
                      },
                    ],
              ]),
            );
            await seedUpload(ports, TENANT, uploadIds[i] ?? '', u.dataset, rows, { sequence: i + 2 });
          }

          // Act: masked in the order they arrive
          for (const i of arrival)
            await pseudonymise(ports, { tenantId: TENANT, uploadId: uploadIds[i] ?? '' });

          // Assess: the facts say what the uploads in force say, and nothing else
          const want = expected(uploads);
          const companyMonths = await readCells(
            await ports.objects.get('curated', factKey(TENANT, 'company_month')),
          );
          const sales = Object.fromEntries(
            companyMonths
              .filter((r) => r.sales_amount !== null)
              .map((r) => [`sales|${r.period}`, Number(r.sales_amount) / 1_000]),
          );
          const employeeMonths = await readCells(
            await ports.objects.get('curated', factKey(TENANT, 'employee_month')),
          );
          const token = tokenOf(await ports.keys.get(TENANT), 'E1');
          const overtime = Object.fromEntries(
            employeeMonths
              .filter((r) => r.employee_token === token && r.overtime_hours !== null)
              .map((r) => [`attendance|${r.period}`, Number(r.overtime_hours)]),
          );
          expect({ ...sales, ...overtime }).toEqual(want);

          // …and every record says which upload took each month it lost
          for (const [i, u] of uploads.entries()) {
            const record = uploadRecordSchema.parse(
              await ports.table.get('uploads', { tenantId: TENANT, uploadId: uploadIds[i] }),
            );
            const lost = Object.keys(u.months).flatMap((month) => {
              let winner = i;
              uploads.forEach((w, j) => {
                if (w.dataset === u.dataset && month in w.months) winner = j > winner ? j : winner;
              });
              return winner === i ? [] : [[month, uploadIds[winner]]];
            });
            expect(record.supersededBy ?? {}).toEqual(Object.fromEntries(lost));
            expect(record.maskedAt).toBeDefined();
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 240_000);
});
