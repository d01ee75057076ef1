import type { DuckDBAppender, DuckDBType } from '@duckdb/node-api';
import type { StreamRecord } from '../../../core/record.ts';
import type { Cell, Column } from '../columns.ts';
import { type NumberKind, setNumberColumn } from './numbers.ts';
import { type Bindings, setStringColumn } from './strings.ts';

type Duck = typeof import('@duckdb/node-api');

/** Rows per data chunk: DuckDB's vector size, the most one chunk holds. */
const CHUNK_ROWS = 2048;

/** What a column holds, as appendRows lays it out: text, or one of the numeric kinds. */
type Kind = 'varchar' | NumberKind;

/**
 * Appends rows a data chunk at a time: the appender's per-cell calls (a native call and, for integers, a
 * BigInt each) were most of the sink's time. A chunk's cells are laid out in JS as DuckDB keeps them and
 * copied into its vectors once per column (see setNumberColumn and setStringColumn). Each row is `firstId`
 * onwards (when given), then its cells in `columns` order, then the record's place.
 */
export function appendRows(
  duck: Duck,
  bindings: Bindings,
  appender: DuckDBAppender,
  columns: Column[],
  rows: Array<{ r: StreamRecord; cells: Cell[] }>,
  firstId?: number,
): void {
  const kinds: Kind[] = [
    ...(firstId === undefined ? [] : ['bigint' as const]),
    ...columns.map((c) => kindOf(c)),
    'varchar',
    'integer',
    'bigint',
    'varchar',
    'bigint',
  ];
  const types = kinds.map((k) => TYPES[k](duck));
  const shift = firstId === undefined ? 0 : 1;
  for (let from = 0; from < rows.length; from += CHUNK_ROWS) {
    const n = Math.min(CHUNK_ROWS, rows.length - from);
    const cols: Cell[][] = kinds.map(() => new Array<Cell>(n));
    for (let k = 0; k < n; k++) {
      const { r, cells } = rows[from + k]!;
      if (firstId !== undefined) cols[0]![k] = firstId + from + k;
      for (let c = 0; c < columns.length; c++) cols[c + shift]![k] = cells[c] ?? null;
      const m = columns.length + shift;
      cols[m]![k] = r.topic;
      cols[m + 1]![k] = r.partition;
      cols[m + 2]![k] = r.offset;
      cols[m + 3]![k] = r.key;
      cols[m + 4]![k] = r.timestamp;
    }
    const chunk = duck.DuckDBDataChunk.create(types, n);
    for (let c = 0; c < kinds.length; c++) {
      const kind = kinds[c]!;
      if (kind === 'varchar') setStringColumn(bindings, chunk.chunk, c, cols[c] as Array<string | null>);
      else setNumberColumn(bindings, chunk.chunk, c, kind, cols[c] as Array<number | boolean | null>);
    }
    appender.appendDataChunk(chunk);
  }
}

const TYPES: Record<Kind, (duck: Duck) => DuckDBType> = {
  varchar: (d) => d.VARCHAR,
  bigint: (d) => d.BIGINT,
  integer: (d) => d.INTEGER,
  double: (d) => d.DOUBLE,
  boolean: (d) => d.BOOLEAN,
};

function kindOf(c: Column): Kind {
  switch (c.type) {
    case 'integer':
      return 'bigint';
    case 'real':
      return 'double';
    case 'boolean':
      return 'boolean';
    default:
      return 'varchar'; // text, json and uuid: see SQL_TYPE
  }
}
