import type { DuckDBResultReader } from '@duckdb/node-api';
import type { SqlColumn, SqlResult } from './session.ts';

/** Integer types DuckDB's JSON form writes as strings (they may exceed 2^53). */
const WIDE = new Set(['BIGINT', 'UBIGINT', 'HUGEINT', 'UHUGEINT']);

/**
 * The rows read, as JSON values: wide integers and decimals as numbers when they fit a double exactly
 * (`count(*)` is a BIGINT, `sum` of one a HUGEINT), as strings when they do not; dates, lists and structs
 * as DuckDB's JSON form gives them.
 */
export function toResult(reader: DuckDBResultReader, maxRows: number): Omit<SqlResult, 'notes'> {
  const types = reader.columnTypes().map((t) => t.toString());
  const columns: SqlColumn[] = reader.columnNames().map((name, i) => ({ name, type: types[i]! }));
  const numeric = types.map((t) => WIDE.has(t) || t.startsWith('DECIMAL'));
  const all = reader.getRowsJson();
  const rows = all.slice(0, maxRows).map((row) =>
    row.map((v, i) => {
      if (!numeric[i] || typeof v !== 'string') return v;
      const n = Number(v);
      return Number.isSafeInteger(n) || (types[i]!.startsWith('DECIMAL') && Number.isFinite(n)) ? n : v;
    }),
  );
  return { columns, rows, truncated: all.length > maxRows };
}
