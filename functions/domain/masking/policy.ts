/**
 * The masking policy, declared once from the catalogue's privacy classes. Every zone, every engine
 * (DuckDB, Athena) and every Glue table derives from this table; no handler decides what a column
 * becomes.
 *
 * | class                          | pseudonymised zone       | anonymised zone                       |
 * |--------------------------------|--------------------------|---------------------------------------|
 * | direct_identifier              | removed                  | removed                               |
 * | individual_identification_code | removed (never stored)   | removed                               |
 * | financial_harm                 | removed                  | removed                               |
 * | linking_code                   | HMAC-SHA256 token        | removed (no tokens, no linking codes) |
 * | quasi_identifier               | kept                     | generalised per `generalise`          |
 * | sensitive                      | kept                     | kept, top-coded above `topCode`       |
 * | attribute                      | kept                     | kept                                  |
 */
import {
  type ColumnDef,
  type ColumnType,
  DATASETS,
  type DatasetDef,
  type DatasetName,
  type Generalisation,
  type PrivacyClass,
} from '../catalog/index.ts';

export type PseudonymisedAction = 'remove' | 'tokenise' | 'keep';
export type AnonymisedAction =
  | { readonly kind: 'remove' }
  | { readonly kind: 'keep' }
  | { readonly kind: 'top_code'; readonly topCode: number }
  | { readonly kind: 'generalise'; readonly generalise: Generalisation };

const PSEUDONYMISED: Readonly<Record<PrivacyClass, PseudonymisedAction>> = {
  direct_identifier: 'remove',
  individual_identification_code: 'remove',
  financial_harm: 'remove',
  linking_code: 'tokenise',
  quasi_identifier: 'keep',
  sensitive: 'keep',
  attribute: 'keep',
};

/** Classes whose values must never reach the pseudonymised or anonymised zone. */
export const REMOVED_CLASSES: readonly PrivacyClass[] = (Object.keys(PSEUDONYMISED) as PrivacyClass[]).filter(
  (c) => PSEUDONYMISED[c] === 'remove',
);

/** What the pseudonymised zone does with a column. */
export function pseudonymisedAction(column: ColumnDef): PseudonymisedAction {
  return PSEUDONYMISED[column.privacy];
}

/** What the anonymised zone does with a column. */
export function anonymisedAction(column: ColumnDef): AnonymisedAction {
  switch (column.privacy) {
    case 'direct_identifier':
    case 'individual_identification_code':
    case 'financial_harm':
    case 'linking_code':
      return { kind: 'remove' };
    case 'quasi_identifier':
      // The catalogue schema guarantees quasi-identifiers say how they are generalised.
      return column.generalise ? { kind: 'generalise', generalise: column.generalise } : { kind: 'remove' };
    case 'sensitive':
    case 'attribute':
      return column.topCode !== undefined ? { kind: 'top_code', topCode: column.topCode } : { kind: 'keep' };
  }
}

/** SQL type of a catalogue column in raw and pseudonymised Parquet (tokens are VARCHAR hex). */
export function sqlTypeOf(type: ColumnType): 'VARCHAR' | 'DATE' | 'BIGINT' | 'DOUBLE' {
  switch (type) {
    case 'date':
      return 'DATE';
    case 'integer':
      return 'BIGINT';
    case 'decimal':
      return 'DOUBLE';
    default:
      return 'VARCHAR';
  }
}

/** A column of the pseudonymised zone: its name, type and where it comes from. */
export interface PseudonymisedColumn {
  readonly name: string;
  readonly sqlType: 'VARCHAR' | 'DATE' | 'BIGINT' | 'DOUBLE';
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
