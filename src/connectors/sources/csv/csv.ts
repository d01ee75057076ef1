import { closeSync, createReadStream, existsSync, openSync, readSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import Papa from 'papaparse';
import type { Source, SourceContext, SourceItem } from '../../../core/connector.ts';
import { ErrorCodes, RunnelError } from '../../../core/errors.ts';
import { parseTimestamp } from '../../../core/event-time.ts';
import { batchSizeFor, Pacer } from '../pacing.ts';
import type { CsvConfig } from './spec.ts';

type ColumnKind = 'number' | 'integer' | 'string' | 'boolean';

/** Whole CSV records with their first line number; a quoted field may span lines. */
async function* csvRecords(path: string): AsyncGenerator<{ text: string; line: number }> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  let buffer: string[] = [];
  let start = 0;
  let n = 0;
  for await (const line of lines) {
    n++;
    if (buffer.length === 0) start = n;
    buffer.push(line);
    const text = buffer.join('\n');
    if ((text.match(/"/g)?.length ?? 0) % 2 === 1) continue;
    buffer = [];
    if (text.trim() !== '') yield { text, line: start };
  }
  if (buffer.length > 0) yield { text: buffer.join('\n'), line: start };
}

/** The file's first line (up to 64 KiB), for checking the header before the replay starts. */
function firstLine(path: string): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const text = buf.toString('utf8', 0, readSync(fd, buf, 0, buf.length, 0)).replace(/^\uFEFF/, '');
    const line = text.split(/\r?\n/, 1)[0] ?? '';
    return line.trim() === '' ? undefined : line;
  } finally {
    closeSync(fd);
  }
}

/**
 * Replays a CSV: header row, typed columns, event time from the timestamp column, paced by rate or by
 * event time × speed. A bad row becomes a dead letter naming file, line, column and value; the replay goes on.
 */
export class CsvSource implements Source {
  readonly name = 'csv';
  readonly #c: CsvConfig;

  constructor(config: CsvConfig) {
    this.#c = config;
    // Checked when the app is built, so a mistyped --csv is one line before anything starts, and a file
    // without the columns the app needs (or not a CSV at all) is refused before consumers copy anything.
    this.#mustExist();
    const header = firstLine(config.path);
    if (header !== undefined) this.#checkHeader((Papa.parse<string[]>(header).data[0] ?? []).map((c) => c.trim()));
  }

  #mustExist(): void {
    const { path } = this.#c;
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new RunnelError(ErrorCodes.FILE_NOT_FOUND, `CSV file not found: ${path}`, { value: path });
    }
  }

  async *read(ctx: SourceContext): AsyncIterable<SourceItem[]> {
    const { path } = this.#c;
    this.#mustExist();
    const size = batchSizeFor(this.#c.rate ?? (this.#c.speed ? 20 : 0));
    const pacer = new Pacer();
    let sent = 0;
    let firstEvent: number | undefined;
    do {
      let header: string[] | undefined;
      const kinds = new Map<string, ColumnKind>(Object.entries(this.#c.columns ?? {}));
      let batch: SourceItem[] = [];
      for await (const { text, line } of csvRecords(path)) {
        if (ctx.signal.aborted) return;
        const cells = (Papa.parse<string[]>(text, { header: false }).data[0] ?? []).map((c) => c.trim());
        if (!header) {
          header = cells;
          this.#checkHeader(header);
          continue;
        }
        const item = this.#row(header, cells, kinds, text, `${path}:${line}`);
        if (item.kind === 'record') {
          const due = this.#due(item.record.timestamp!, sent, firstEvent);
          firstEvent ??= item.record.timestamp;
          if (due !== undefined && due > 0 && batch.length > 0) {
            yield batch;
            batch = [];
          }
          if (due !== undefined) await pacer.waitFor(due, ctx.signal);
          sent++;
        }
        batch.push(item);
        if (batch.length >= size) {
          yield batch;
          batch = [];
        }
      }
      if (!header)
        throw new RunnelError(ErrorCodes.INPUT_MALFORMED, `CSV file ${path} is empty: it needs a header row`, {
          value: path,
        });
      if (batch.length > 0) yield batch;
    } while (this.#c.loop && !ctx.signal.aborted);
  }

  /** When (ms after start) record number `sent` with event time `at` should go out; undefined = now. */
  #due(at: number, sent: number, firstEvent: number | undefined): number | undefined {
    if (this.#c.rate) return (sent / this.#c.rate) * 1000;
    if (this.#c.speed && firstEvent !== undefined) return (at - firstEvent) / this.#c.speed;
    return undefined;
  }

  #checkHeader(header: string[]): void {
    const { timestampColumn, path, key } = this.#c;
    if (/^\s*[[{]/.test(header[0] ?? '')) {
      throw new RunnelError(
        ErrorCodes.INPUT_MALFORMED,
        `${path} looks like JSON, not a CSV with a header row: read JSON with --from <file.json>`,
        { value: path },
      );
    }
    for (const needed of [timestampColumn, ...(key ? [key] : [])]) {
      if (!header.includes(needed)) {
        throw new RunnelError(
          ErrorCodes.INPUT_MALFORMED,
          `CSV file ${path} has no "${needed}" column (columns: ${header.join(', ')})`,
          { value: header },
        );
      }
    }
  }

  #row(header: string[], cells: string[], kinds: Map<string, ColumnKind>, raw: string, position: string): SourceItem {
    const invalid = (message: string): SourceItem => ({
      kind: 'invalid',
      error: new RunnelError(ErrorCodes.INPUT_MALFORMED, `${position}: ${message}`),
      raw,
      position,
    });
    if (cells.length !== header.length) return invalid(`expected ${header.length} fields, found ${cells.length}`);
    const value: Record<string, string | number | boolean> = {};
    for (let i = 0; i < header.length; i++) {
      const name = header[i]!;
      const text = cells[i]!;
      if (name === this.#c.timestampColumn) {
        value[name] = text;
        continue;
      }
      let kind = kinds.get(name);
      if (!kind) {
        kind = text !== '' && Number.isFinite(Number(text)) ? 'number' : 'string';
        kinds.set(name, kind);
      }
      if (kind === 'string') value[name] = text;
      else if (kind === 'boolean') {
        if (!/^(true|false)$/i.test(text))
          return invalid(`column "${name}" must be true or false (got ${JSON.stringify(text)})`);
        value[name] = text.toLowerCase() === 'true';
      } else {
        const n = Number(text);
        if (text === '' || !Number.isFinite(n) || (kind === 'integer' && !Number.isInteger(n))) {
          return invalid(
            `column "${name}" must be ${kind === 'integer' ? 'an integer' : 'a number'} (got ${JSON.stringify(text)})`,
          );
        }
        value[name] = n;
      }
    }
    const ts = parseTimestamp(String(value[this.#c.timestampColumn]));
    if (!Number.isFinite(ts))
      return invalid(
        `column "${this.#c.timestampColumn}" is not a timestamp (got ${JSON.stringify(value[this.#c.timestampColumn])})`,
      );
    const key = this.#c.key ? String(value[this.#c.key]) : null;
    return { kind: 'record', record: { key, value, timestamp: ts }, position };
  }
}
