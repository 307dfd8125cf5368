/**
 * The columns each zone holds of a dataset, derived from the catalogue by the masking policy
 * (policy.ts): which survive into the pseudonymised zone, under which name and SQL type.
 */
import {
  type ColumnDef,
  DATASETS,
  type DatasetDef,
  type DatasetName,
  type SqlType,
  sqlTypeOf,
} from '../catalog/index.ts';
import { type PseudonymisedAction, pseudonymisedAction, REMOVED_CLASSES } from './policy.ts';

/** A column of the pseudonymised zone: its name, type and where it comes from. */
export interface PseudonymisedColumn {
  readonly name: string;
  readonly sqlType: SqlType;
  readonly action: Exclude<PseudonymisedAction, 'remove'>;
  readonly source: ColumnDef;
}

/**
 * Name of a tokenised column in the pseudonymised zone: `employee_id` → `employee_token`,
 * so a token can never be mistaken for the code it replaced.
 */
export function tokenColumnName(columnName: string): string {
  return columnName.endsWith('_id') ? `${columnName.slice(0, -3)}_token` : `${columnName}_token`;
}

/** The pseudonymised zone's columns of a dataset, in catalogue order. */
export function pseudonymisedColumns(dataset: DatasetDef): PseudonymisedColumn[] {
  return dataset.columns.flatMap((column): PseudonymisedColumn[] => {
    const action = pseudonymisedAction(column);
    if (action === 'remove') return [];
    return [
      {
        name: action === 'tokenise' ? tokenColumnName(column.name) : column.name,
        sqlType: action === 'tokenise' ? 'VARCHAR' : sqlTypeOf(column.type),
        action,
        source: column,
      },
    ];
  });
}

/** Columns of a dataset whose values must not survive masking (for tests and audits). */
export function removedColumns(dataset: DatasetDef): ColumnDef[] {
  return dataset.columns.filter((c) => REMOVED_CLASSES.includes(c.privacy));
}

/** The catalogue column of a dataset by name; throws when the catalogue has no such column. */
export function catalogueColumn(dataset: DatasetName, name: string): ColumnDef {
  const found = DATASETS[dataset].columns.find((c) => c.name === name);
  if (!found) throw new Error(`catalogue: ${dataset} has no column ${name}`);
  return found;
}
