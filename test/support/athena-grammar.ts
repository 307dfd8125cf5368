/**
 * Athena parses DDL with Hive's grammar (ALTER TABLE, DROP TABLE, CREATE EXTERNAL TABLE: identifiers in
 * backticks) and queries with Trino's (SELECT, CTAS, CREATE VIEW: identifiers in double quotes). This
 * checks a statement with the grammar Athena would use (dt-sql-parser's ANTLR grammars).
 */
import { HiveSQL, TrinoSQL } from 'dt-sql-parser';

const hive = new HiveSQL();
const trino = new TrinoSQL();

/** Whether Athena runs this statement as Hive DDL. */
export const isHiveDdl = (sql: string) =>
  /^\s*(ALTER\s+TABLE|DROP\s+TABLE|CREATE\s+EXTERNAL\s+TABLE|MSCK)\b/i.test(sql);

/** The grammar's complaints about a statement (empty when it parses). */
export function athenaGrammarErrors(sql: string): string[] {
  const errors = isHiveDdl(sql) ? hive.validate(sql) : trino.validate(sql);
  return errors.map(
    (error) =>
      `${isHiveDdl(sql) ? 'hive' : 'trino'} ${error.startLine}:${error.startColumn} ${error.message}`,
  );
}
