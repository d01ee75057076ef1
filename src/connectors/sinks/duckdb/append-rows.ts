import type { DuckDBAppender, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import type { StreamRecord } from '../../../core/record.ts';
import type { Cell, Column } from '../columns.ts';
import { type Bindings, setStringColumn } from './strings.ts';

type Duck = typeof import('@duckdb/node-api');

/** Rows per data chunk: DuckDB's vector size, the most one chunk holds. */
const CHUNK_ROWS = 2048;

/**
 * Appends rows a data chunk at a time: the appender's per-cell calls (a native call and, for integers, a
 * BigInt each) were most of the sink's time; a chunk's numbers are written into its vectors' memory in JS and
 * copied over once per column, which took a fifth off appending buzz's rows; short strings are written in
 * JS too (see setStringColumn). Each row is `firstId` onwards (when given), then its cells in `columns`
 * order, then the record's place.
 */
export function appendRows(
  duck: Duck,
  bindings: Bindings,
  appender: DuckDBAppender,
  columns: Column[],
  rows: Array<{ r: StreamRecord; cells: Cell[] }>,
  firstId?: number,
): void {
  const types: DuckDBType[] = [
    ...(firstId === undefined ? [] : [duck.BIGINT]),
    ...columns.map((c) => typeOf(duck, c)),
    duck.VARCHAR,
    duck.INTEGER,
    duck.BIGINT,
    duck.VARCHAR,
    duck.BIGINT,
  ];
  const shift = firstId === undefined ? 0 : 1;
  const integer = columns.map((c) => c.type === 'integer');
  for (let from = 0; from < rows.length; from += CHUNK_ROWS) {
    const n = Math.min(CHUNK_ROWS, rows.length - from);
    const cols: DuckDBValue[][] = types.map(() => new Array<DuckDBValue>(n));
    for (let k = 0; k < n; k++) {
      const { r, cells } = rows[from + k]!;
      if (firstId !== undefined) cols[0]![k] = BigInt(firstId + from + k);
      for (let c = 0; c < columns.length; c++) {
        const v = cells[c];
        cols[c + shift]![k] = v === null || v === undefined ? null : integer[c] ? BigInt(v as number) : v;
      }
      const m = columns.length + shift;
      cols[m]![k] = r.topic;
      cols[m + 1]![k] = r.partition;
      cols[m + 2]![k] = BigInt(r.offset);
      cols[m + 3]![k] = r.key;
      cols[m + 4]![k] = BigInt(r.timestamp);
    }
    const chunk = duck.DuckDBDataChunk.create(types, n);
    for (let c = 0; c < types.length; c++) {
      if (types[c] === duck.VARCHAR) setStringColumn(bindings, chunk.chunk, c, cols[c] as Array<string | null>);
      else chunk.setColumnValues(c, cols[c]!);
    }
    appender.appendDataChunk(chunk);
  }
}

function typeOf(duck: Duck, c: Column): DuckDBType {
  switch (c.type) {
    case 'integer':
      return duck.BIGINT;
    case 'real':
      return duck.DOUBLE;
    case 'boolean':
      return duck.BOOLEAN;
    default:
      return duck.VARCHAR; // text, json and uuid: see SQL_TYPE
  }
}
