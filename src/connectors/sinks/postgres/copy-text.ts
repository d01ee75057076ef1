import type { Cell } from '../columns.ts';

/**
 * Rows in the text format of `COPY … FROM STDIN`: one line per row, tab between fields, `\N` for null.
 * Only backslash, newline, carriage return and tab need escaping in this format; NUL cannot be sent at
 * all, which is why the sink refuses it per record before a batch gets here.
 */
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const SPECIAL = /[\\\n\r\t]/g;
const HAS_SPECIAL = /[\\\n\r\t]/;

export function copyField(v: Cell | undefined): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'string') return HAS_SPECIAL.test(v) ? v.replace(SPECIAL, (ch) => ESCAPES[ch]!) : v;
  if (typeof v === 'boolean') return v ? 't' : 'f';
  // Numbers as JavaScript prints them: the shortest text that reads back to the same double.
  return String(v);
}

/**
 * The rows as COPY text, in chunks of about `chunkBytes`: a big batch is never one giant string, and the
 * stream that pulls the chunks lets the event loop run between them while the socket drains. `line`
 * writes one row's fields (see copyLine) without building an array of them first.
 */
export function* copyChunks<T>(
  rows: Iterable<T>,
  line: (row: T) => string,
  chunkBytes = 256 * 1024,
): Generator<Buffer> {
  let text = '';
  for (const row of rows) {
    text += `${line(row)}\n`;
    // Characters, not bytes: a chunk of non-ASCII text is up to 3× larger on the wire, which is fine.
    if (text.length >= chunkBytes) {
      yield Buffer.from(text);
      text = '';
    }
  }
  if (text.length > 0) yield Buffer.from(text);
}

/** One row's fields, tab-separated, without its newline. */
export function copyLine(cells: ArrayLike<Cell | undefined>): string {
  let line = copyField(cells[0]);
  for (let i = 1; i < cells.length; i++) line += `\t${copyField(cells[i])}`;
  return line;
}
