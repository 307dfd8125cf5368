import { describe, expect, it } from 'vitest';
import { getDataset } from '../../../functions/domain/catalog/index.ts';
import { ANONYMISED_COLUMNS } from '../../../functions/domain/masking/anonymised-schema.ts';
import { removedColumns } from '../../../functions/domain/masking/columns.ts';
import { glueTableDescriptions } from '../../../functions/domain/masking/glue-tables.ts';

const tables = glueTableDescriptions((bucket) => `kura-test-${bucket}`);
const byName = (name: string) => {
  const table = tables.find((t) => t.name === name);
  if (!table) throw new Error(`no table ${name}`);
  return table;
};

describe('Glue tables of the masking zones', () => {
  it('describes the pseudonymised zone without any removed column and with the token', () => {
    // Act
    const columns = byName('pseudonymised_employees').columns.map((c) => c.name);

    // Assess
    for (const removed of removedColumns(getDataset('employees')))
      expect(columns).not.toContain(removed.name);
    expect(columns).toContain('employee_token');
    expect(columns).not.toContain('employee_id');
  });

  it('projects tenant as injected and period as months, with the zone layout as location template', () => {
    // Act
    const raw = byName('raw_attendance');

    // Assess
    expect(raw.partitionKeys.map((k) => k.name)).toEqual(['tenant', 'period']);
    expect(raw.parameters).toMatchObject({
      classification: 'parquet',
      'projection.enabled': 'true',
      'projection.tenant.type': 'injected',
      'projection.period.type': 'date',
      'projection.period.format': 'yyyy-MM',
      'projection.period.interval.unit': 'MONTHS',
      'storage.location.template': `s3://kura-test-raw/raw/tenant=\${tenant}/dataset=attendance/period=\${period}/`,
    });
    expect(raw.columns.find((c) => c.name === 'work_date')?.type).toBe('date');
    expect(raw.serializationLibrary).toContain('Parquet');
  });

  it('matches the anonymised contract column for column, partitioned by release', () => {
    for (const table of ['anon_employee_month', 'anon_company_month'] as const) {
      // Act
      const glue = byName(table);

      // Assess
      expect(glue.columns.map((c) => c.name)).toEqual(ANONYMISED_COLUMNS[table].map(([name]) => name));
      expect(glue.partitionKeys.map((k) => k.name)).toEqual(['release']);
      expect(glue.parameters['storage.location.template']).toBe(
        `s3://kura-test-curated/anonymised/release=\${release}/dataset=${table}/`,
      );
    }
    expect(byName('anon_employee_month').columns.find((c) => c.name === 'base_pay')?.type).toBe('bigint');
  });

  it('gives every table a unique name', () => {
    // Act
    const names = tables.map((t) => t.name);

    // Assess
    expect(new Set(names).size).toBe(names.length);
  });
});
