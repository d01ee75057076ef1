import type { DataChunk } from '@duckdb/node-bindings';
import { type Bindings, copyValidity, markNull } from './strings.ts';

/** The DuckDB column types runnel appends numbers to: BIGINT, INTEGER, DOUBLE and BOOLEAN. */
export type NumberKind = 'bigint' | 'integer' | 'double' | 'boolean';

const BYTES: Record<NumberKind, number> = { bigint: 8, integer: 4, double: 8, boolean: 1 };

/**
 * Writes a numeric column of a fresh data chunk: the values laid out in a typed array as DuckDB keeps them
 * (little-endian, as on every platform the bindings ship for), copied into the vector at once. Through the
 * library, each BIGINT cell was a BigInt made and written one by one: four per buzz row, two million per
 * 500k rows for the garbage collector. A BIGINT is written as its two 32-bit halves, exact for every
 * integer a JS number holds.
 */
export function setNumberColumn(
  duckdb: Bindings,
  chunk: DataChunk,
  column: number,
  kind: NumberKind,
  values: ReadonlyArray<number | boolean | null | undefined>,
): void {
  const vector = duckdb.data_chunk_get_vector(chunk, column);
  const n = values.length;
  const memory = new ArrayBuffer(n * BYTES[kind]);
  let validity: Uint8Array<ArrayBuffer> | undefined;
  if (kind === 'bigint') {
    const halves = new Int32Array(memory);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null || v === undefined) validity = markNull(validity, n, i);
      else {
        halves[2 * i] = (v as number) >>> 0;
        halves[2 * i + 1] = Math.floor((v as number) / 2 ** 32);
      }
    }
  } else {
    const cells =
      kind === 'double'
        ? new Float64Array(memory)
        : kind === 'integer'
          ? new Int32Array(memory)
          : new Uint8Array(memory);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null || v === undefined) validity = markNull(validity, n, i);
      else cells[i] = Number(v);
    }
  }
  duckdb.copy_data_to_vector(vector, 0, memory, 0, memory.byteLength);
  if (validity) copyValidity(duckdb, vector, validity);
}
