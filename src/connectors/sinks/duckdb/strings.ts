import { createRequire } from 'node:module';
import type { DataChunk } from '@duckdb/node-bindings';

export type Bindings = typeof import('@duckdb/node-bindings');

/**
 * DuckDB's API and the very bindings it loaded, on first use (a run without a DuckDB sink never loads the
 * library): a chunk the API made is written through the native module that made it, whatever copy of the
 * bindings npm put beside runnel's own dependency.
 */
export function duckdbModules(): Promise<readonly [typeof import('@duckdb/node-api'), Bindings]> {
  // Resolved once per process, not per batch written.
  loaded ??= import('@duckdb/node-api').then((api) => {
    const bindings = createRequire(import.meta.resolve('@duckdb/node-api'))('@duckdb/node-bindings') as Bindings;
    return [api, bindings] as const;
  });
  return loaded;
}
let loaded: Promise<readonly [typeof import('@duckdb/node-api'), Bindings]> | undefined;

/** Bytes of one `duckdb_string_t`: a length, then 12 bytes of the string inline or a prefix and a pointer. */
const STRING_BYTES = 16;
/** The longest string (in UTF-8 bytes) DuckDB keeps inline in its `duckdb_string_t`. */
const INLINE_BYTES = 12;

const utf8 = new TextEncoder();

/**
 * Writes a VARCHAR column of a fresh data chunk. A string of at most 12 UTF-8 bytes is laid out in JS in
 * DuckDB's own inline form (duckdb.h's `duckdb_string_t`: the length, little-endian as on every platform
 * the bindings ship for, then the bytes, zero-padded), and the column's structs are copied into the vector
 * at once; only longer strings are then set one native call each (`vector_assign_string_element` copies
 * them into the vector's string heap). buzz's authors, categories, keywords, topic and key are all short:
 * a native call per such cell was most of what appending them cost.
 */
export function setStringColumn(
  duckdb: Bindings,
  chunk: DataChunk,
  column: number,
  values: ReadonlyArray<string | null>,
): void {
  const vector = duckdb.data_chunk_get_vector(chunk, column);
  const n = values.length;
  // Zeroed: a null's or a long string's struct is overwritten below or never read.
  const structs = new Uint8Array(new ArrayBuffer(n * STRING_BYTES));
  const view = new DataView(structs.buffer);
  const long: number[] = [];
  let validity: Uint8Array<ArrayBuffer> | undefined;
  for (let i = 0; i < n; i++) {
    const s = values[i];
    if (s === null || s === undefined) {
      // All valid, as the library's own validity starts, but for the nulls.
      validity ??= new Uint8Array(new ArrayBuffer(Math.ceil(n / 64) * 8)).fill(0xff);
      validity[i >> 3]! &= ~(1 << (i & 7));
      continue;
    }
    const at = i * STRING_BYTES;
    // UTF-8 takes at least a byte per UTF-16 unit: a longer string cannot be inline.
    if (s.length <= INLINE_BYTES) {
      const { read, written } = utf8.encodeInto(s, structs.subarray(at + 4, at + 4 + INLINE_BYTES));
      if (read === s.length) {
        view.setUint32(at, written, true);
        continue;
      }
      structs.fill(0, at + 4, at + STRING_BYTES);
    }
    long.push(i);
  }
  duckdb.copy_data_to_vector(vector, 0, structs.buffer, 0, structs.byteLength);
  for (const i of long) duckdb.vector_assign_string_element(vector, i, values[i]!);
  if (validity) {
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(vector, 0, validity.buffer, 0, validity.byteLength);
  }
}
