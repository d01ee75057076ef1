import { createRequire } from 'node:module';
import type { DataChunk, Vector } from '@duckdb/node-bindings';
import { ErrorCodes, RunnelError } from '../../../core/errors.ts';

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
 * Writes a VARCHAR column of a fresh data chunk without a native call per string. Each cell is DuckDB's
 * `duckdb_string_t` (duckdb.h): the length (little-endian, as on every platform the bindings ship for),
 * then either the string itself if it has at most 12 UTF-8 bytes (zero-padded), or its first 4 bytes and a
 * pointer to the whole. Short strings are laid out here. The long ones are encoded one after another into
 * one buffer per group (see GROUP_UNITS), which one native call copies into the vector's string heap as if
 * it were the group's first cell; its pointer, read back, places each string of the group inside that
 * copy. The structs then go into the vector at once. The heap copy lives as long as the vector, and the Appender copies the strings
 * out of it. A call per long string (buzz's message and timestamp) was a fifth of the DuckDB sink's time.
 */
export function setStringColumn(
  duckdb: Bindings,
  chunk: DataChunk,
  column: number,
  values: ReadonlyArray<string | null>,
): void {
  const vector = duckdb.data_chunk_get_vector(chunk, column);
  const n = values.length;
  // Zeroed: a null's struct is never read, the others are all written below.
  const structs = new Uint8Array(new ArrayBuffer(n * STRING_BYTES));
  const view = new DataView(structs.buffer);
  // The long strings' rows, gathered in groups as they come, and the UTF-16 units of the open group.
  let group: number[] = [];
  let units = 0;
  let validity: Uint8Array<ArrayBuffer> | undefined;
  for (let i = 0; i < n; i++) {
    const s = values[i];
    if (s === null || s === undefined) {
      validity = markNull(validity, n, i);
      continue;
    }
    const at = i * STRING_BYTES;
    // UTF-8 takes at least a byte per UTF-16 unit: a longer string cannot be inline.
    if (s.length <= INLINE_BYTES) {
      // ASCII byte by byte: a subarray for encodeInto per string cost more than the copy.
      let j = 0;
      for (; j < s.length; j++) {
        const c = s.charCodeAt(j);
        if (c >= 0x80) break;
        structs[at + 4 + j] = c;
      }
      if (j === s.length) {
        view.setUint32(at, j, true);
        continue;
      }
      const { read, written } = utf8.encodeInto(s, structs.subarray(at + 4, at + 4 + INLINE_BYTES));
      if (read === s.length) {
        view.setUint32(at, written, true);
        continue;
      }
      structs.fill(0, at + 4, at + STRING_BYTES);
    }
    // At least one string a group, however long.
    if (group.length > 0 && units + s.length > GROUP_UNITS) {
      placeGroup(duckdb, vector, values, group, view);
      group = [];
      units = 0;
    }
    group.push(i);
    units += s.length;
  }
  if (group.length > 0) placeGroup(duckdb, vector, values, group, view);
  duckdb.copy_data_to_vector(vector, 0, structs.buffer, 0, structs.byteLength);
  if (validity) copyValidity(duckdb, vector, validity);
}

/** `validity` (made all valid, as the library's own starts, for `n` rows) with row `i` marked null. */
export function markNull(validity: Uint8Array<ArrayBuffer> | undefined, n: number, i: number): Uint8Array<ArrayBuffer> {
  const v = validity ?? new Uint8Array(new ArrayBuffer(Math.ceil(n / 64) * 8)).fill(0xff);
  v[i >> 3]! &= ~(1 << (i & 7));
  return v;
}

export function copyValidity(duckdb: Bindings, vector: Vector, validity: Uint8Array<ArrayBuffer>): void {
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(vector, 0, validity.buffer, 0, validity.byteLength);
}

/**
 * UTF-16 units of long strings placed with one copy at most: one string of a column chunk's can be far
 * longer (a json column), and joined they must stay within what a JS string and a buffer can hold.
 */
export const GROUP_UNITS = 1 << 22;

/** The structs of a group of long strings (rows `long`), pointing into one copy of them all. */
function placeGroup(
  duckdb: Bindings,
  vector: Vector,
  values: ReadonlyArray<string | null>,
  long: number[],
  view: DataView,
): void {
  const strings = long.map((i) => values[i]!);
  const joined = strings.join('');
  // At most 3 UTF-8 bytes per UTF-16 unit; a string all ASCII (the usual case) is as many bytes as units,
  // and then the offsets need no per-string encoding.
  const heap = new Uint8Array(joined.length * 3);
  const ends = new Array<number>(strings.length);
  const { written } = utf8.encodeInto(joined, heap);
  if (written === joined.length) {
    let end = 0;
    for (let k = 0; k < strings.length; k++) ends[k] = end += strings[k]!.length;
  } else {
    // Each string by itself: a lone surrogate at a string's end must not pair with the next one's start.
    let end = 0;
    for (let k = 0; k < strings.length; k++) ends[k] = end += utf8.encodeInto(strings[k]!, heap.subarray(end)).written;
  }
  const bytes = heap.subarray(0, ends[strings.length - 1]!);
  duckdb.vector_assign_string_element_len(vector, long[0]!, bytes);
  // The pointer in the struct DuckDB just wrote: the address of its copy of `bytes`.
  const cell = long[0]! * STRING_BYTES;
  // (A view, whatever kind of array the bindings answer: a Buffer's slice is no copy.)
  const data = duckdb.vector_get_data(vector, cell + STRING_BYTES);
  const written0 = new DataView(data.buffer, data.byteOffset + cell, STRING_BYTES);
  const prefixes = new DataView(bytes.buffer);
  // DuckDB's layout as this code knows it, or an error: a wrong guess here would crash the process later.
  if (written0.getUint32(0, true) !== bytes.length || written0.getUint32(4, true) !== prefixes.getUint32(0, true))
    throw new RunnelError(
      ErrorCodes.INTERNAL,
      'duckdb: this version of DuckDB lays out its strings unlike duckdb.h says',
    );
  const low = written0.getUint32(8, true);
  const high = written0.getUint32(12, true);
  let start = 0;
  for (let k = 0; k < long.length; k++) {
    const at = long[k]! * STRING_BYTES;
    const end = ends[k]!;
    view.setUint32(at, end - start, true);
    // The prefix, as the 4 bytes they are: every long string has more than 12.
    view.setUint32(at + 4, prefixes.getUint32(start, true), true);
    // The pointer plus `start`, in two 32-bit halves (a BigInt per string would cost what was saved).
    const sum = low + start;
    view.setUint32(at + 8, sum >>> 0, true);
    view.setUint32(at + 12, high + (sum >= 2 ** 32 ? 1 : 0), true);
    start = end;
  }
}
