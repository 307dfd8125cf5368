import { describe, expect, it } from 'vitest';
import { DATASET_NAMES, getDataset } from '../../../functions/domain/catalog/index.ts';
import { pseudonymisedColumns, removedColumns } from '../../../functions/domain/masking/columns.ts';
import { anonymisedAction, REMOVED_CLASSES } from '../../../functions/domain/masking/policy.ts';

describe('masking policy', () => {
  it('removes direct identifiers, identification codes and financial-harm columns from the pseudonymised zone', () => {
    for (const name of DATASET_NAMES) {
      // Prepare
      const dataset = getDataset(name);

      // Act
      const kept = pseudonymisedColumns(dataset).map((c) => c.source.name);

      // Assess
      for (const removed of removedColumns(dataset)) expect(kept).not.toContain(removed.name);
      expect(kept.length + removedColumns(dataset).length).toBe(dataset.columns.length);
    }
    expect([...REMOVED_CLASSES].sort()).toEqual([
      'direct_identifier',
      'financial_harm',
      'individual_identification_code',
    ]);
  });

  it('replaces linking codes by tokens named *_token and keeps quasi-identifiers', () => {
    // Act
    const columns = pseudonymisedColumns(getDataset('employees'));

    // Assess
    expect(columns.find((c) => c.source.name === 'employee_id')).toMatchObject({
      name: 'employee_token',
      action: 'tokenise',
      sqlType: 'VARCHAR',
    });
    expect(columns.map((c) => c.name)).not.toContain('employee_id');
    expect(columns.find((c) => c.name === 'birth_date')).toMatchObject({ action: 'keep', sqlType: 'DATE' });
    expect(columns.map((c) => c.name)).not.toContain('name');
    expect(columns.map((c) => c.name)).not.toContain('bank_account');
  });

  it('lets no linking code or removed class into the anonymised zone and top-codes pay', () => {
    for (const name of DATASET_NAMES) {
      for (const column of getDataset(name).columns) {
        // Act
        const action = anonymisedAction(column);

        // Assess
        if ([...REMOVED_CLASSES, 'linking_code'].includes(column.privacy)) expect(action.kind).toBe('remove');
        if (column.privacy === 'quasi_identifier')
          expect(action).toEqual({ kind: 'generalise', generalise: column.generalise });
      }
    }
    const basePay = getDataset('payroll').columns.find((c) => c.name === 'base_pay');
    expect(basePay && anonymisedAction(basePay)).toEqual({ kind: 'top_code', topCode: basePay?.topCode });
  });
});
