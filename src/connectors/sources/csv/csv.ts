import { closeSync, createReadStream, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import Papa from 'papaparse';
import { slipOf } from '../../../core/closest-names.ts';
import type { ReplayInput, Source, SourceContext, SourceItem } from '../../../core/connector.ts';
import { ErrorCodes, RunnelError } from '../../../core/errors.ts';
import { parseTimestamp } from '../../../core/event-time.ts';
import { excerpt, looksBinary } from '../../../core/excerpt.ts';
import type { Pacing } from '../../../core/replay-control.ts';
import { fileReplay } from '../../../core/runners/replay-resume.ts';
import { batchSizeFor, paced } from '../pacing.ts';
import { CsvRecordSplitter, type CsvRecordText } from './records.ts';
import type { CsvConfig } from './spec.ts';

type ColumnKind = 'number' | 'integer' | 'string' | 'boolean';

/** Whole CSV records with their first line number; a quoted field may span lines. */
async function* csvRecords(path: string): AsyncGenerator<CsvRecordText> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  const splitter = new CsvRecordSplitter();
  let n = 0;
  for await (const line of lines) {
    const r = splitter.push(line, ++n);
    if (r) yield r;
  }
  yield* splitter.end();
}

/** The first few names of a list, for a one-line message. */
function excerptList(names: string[], max = 10): string {
  const shown = names.slice(0, max).map((n) => (looksBinary(n) || n.length > 40 ? excerpt(n) : n));
  return `${shown.join(', ')}${names.length > max ? ` and ${names.length - max} more` : ''}`;
}

/** `"a"`, `"a" or "b"`, `"a", "b" or "c"`. */
function orList(names: string[]): string {
  const q = names.map((n) => `"${n}"`);
  return q.length <= 1 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/**
 * "did you mean …? " for the missing columns that have a likely stand-in among the header's other columns
 * (each suggested once): just the name for one missing column, "x for y" pairs for several.
 */
function didYouMean(missing: string[], header: string[], needed: Set<string>): string {
  const free = header.filter((h) => h !== '' && !needed.has(h));
  const pairs: [string, string][] = [];
  for (const m of missing) {
    // Another case or spacing, a slip of a letter or two, or a part of it (`temp` for `temperature`).
    const best = slipOf(m, free, { loose: true, contained: true });
    if (best === undefined) continue;
    pairs.push([m, best]);
    free.splice(free.indexOf(best), 1);
  }
  if (pairs.length === 0) return '';
  if (missing.length === 1) return `did you mean "${pairs[0]![1]}"? `;
  return `did you mean ${pairs.map(([m, h]) => `"${h}" for "${m}"`).join(', ')}? `;
}

/**
 * The file's first line that is not blank (within its first 64 KiB), for checking the header before the
 * replay starts; `empty` when the whole file is blank (the replay would refuse it only after start-up).
 */
function firstLine(path: string): string | undefined | 'empty' {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.toString('utf8', 0, n).replace(/^\uFEFF/, '');
    const line = text.split(/\r?\n/).find((l) => l.trim() !== '');
    if (line !== undefined) return line;
    return n < buf.length ? 'empty' : undefined;
  } finally {
    closeSync(fd);
  }
}

const emptyFile = (path: string) =>
  new RunnelError(ErrorCodes.INPUT_MALFORMED, `CSV file ${path} is empty: it needs a header row`, { value: path });

/**
 * Replays a CSV: header row, typed columns, event time from the timestamp column, paced by rate or by
 * event time × speed. A bad row becomes a dead letter naming file, line, column and value; the replay goes on.
 */
export class CsvSource implements Source {
  readonly name = 'csv';
  /** Each record's value is built from its row (see Source.handsOver). */
  readonly handsOver = true;
  readonly #c: CsvConfig;

  constructor(config: CsvConfig) {
    this.#c = config;
    // Checked when the app is built, so a mistyped --csv is one line before anything starts, and a file
    // without the columns the app needs (or not a CSV at all) is refused before consumers copy anything.
    this.#mustExist();
    const header = firstLine(config.path);
    if (header === 'empty') throw emptyFile(config.path);
    if (header !== undefined && looksBinary(header)) {
      // The whole first line of a binary file is hundreds of raw bytes: show where it starts, escaped.
      throw new RunnelError(
        ErrorCodes.INPUT_MALFORMED,
        `CSV file ${config.path} is not text (it starts ${excerpt(header)}): give a CSV file with a header row`,
        { value: config.path },
      );
    }
    if (header !== undefined) this.#checkHeader((Papa.parse<string[]>(header).data[0] ?? []).map((c) => c.trim()));
  }

  #mustExist(): void {
    const { path } = this.#c;
    if (!existsSync(path)) {
      throw new RunnelError(ErrorCodes.FILE_NOT_FOUND, `CSV file not found: ${path}`, { value: path });
    }
    if (statSync(path).isDirectory()) {
      const inside = readdirSync(path).filter((f) => /\.csv$/i.test(f));
      const hint = inside.length === 0 ? 'it holds no .csv file' : `CSV files in it: ${excerptList(inside)}`;
      throw new RunnelError(
        ErrorCodes.CONFIG_INVALID,
        `CSV path ${path} is a folder, not a file (${hint}): name the CSV file itself`,
        { value: path },
      );
    }
  }

  pacing(): Pacing | undefined {
    if (this.#c.rate) return { by: 'rate', rate: this.#c.rate };
    if (this.#c.speed) return { by: 'event-time', speed: this.#c.speed };
    return undefined;
  }

  /** A file read once goes on where an earlier run stopped; a looped one is a feed, read round and round. */
  replay(): ReplayInput | undefined {
    return this.#c.loop ? undefined : fileReplay(this.#c.path);
  }

  async *read(ctx: SourceContext): AsyncIterable<SourceItem[]> {
    this.#mustExist();
    const size = batchSizeFor(this.#c.rate ?? (this.#c.speed ? 20 : 0));
    let skip = ctx.skip ?? 0;
    // Each pass starts its schedule again: a looped replay keeps its pace instead of bursting.
    do {
      yield* paced(this.#items(ctx.signal, skip), ctx, this.pacing(), size);
      skip = 0;
    } while (this.#c.loop && !ctx.signal.aborted);
  }

  /** One pass over the file: its rows as records, or as dead letters naming file:line; the first `skip` left out. */
  async *#items(signal: AbortSignal, skip: number): AsyncGenerator<SourceItem> {
    const { path } = this.#c;
    let header: string[] | undefined;
    const kinds = new Map<string, ColumnKind>(
      Object.entries(this.#c.columns ?? {}).map(([name, kind]) => [name, kind.replace('?', '') as ColumnKind]),
    );
    /** The header's delimiter, for every row: guessed per row, `1,"x; y"` split on the semicolons. */
    let delimiter: string | undefined;
    let skipped = 0;
    for await (const { text, line } of csvRecords(path)) {
      if (signal.aborted) return;
      // Trailing blanks after a closing quote are no field of their own (cells are trimmed anyway).
      const parsed = Papa.parse<string[]>(text.trimEnd(), { header: false, ...(delimiter ? { delimiter } : {}) });
      delimiter ??= parsed.meta.delimiter;
      const cells = (parsed.data[0] ?? []).map((c) => c.trim());
      // A quote never closed (or stray after a closing one): Papa still hands back cells, guessed.
      const quote = parsed.errors.find((e) => e.type === 'Quotes');
      let item: SourceItem;
      if (quote && header) {
        item = {
          kind: 'invalid',
          error: new RunnelError(
            ErrorCodes.INPUT_MALFORMED,
            `${path}:${line}: ${quote.code === 'MissingQuotes' ? 'a quoted field is never closed' : 'a quote stands where a field cannot have one'}`,
          ),
          raw: text,
          position: `${path}:${line}`,
        };
      } else if (!header) {
        header = cells;
        this.#checkHeader(header);
        continue;
      } else item = this.#row(header, cells, kinds, text, `${path}:${line}`);
      // Every record after the header is one item, good or not: an earlier run made the first `skip` durable.
      // Left out only now, once #row has seen them: a column's type is settled by the file's first rows,
      // whichever run reads them.
      if (skipped < skip) {
        skipped++;
        continue;
      }
      yield item;
    }
    if (!header) throw emptyFile(path);
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
    // Every column the config names, but those typed as optional ('string?'): without one, every row would
    // go to the dead letters (or on without it), so the file is refused before anything starts.
    const typed = Object.entries(this.#c.columns ?? {}).flatMap(([name, kind]) => (kind.endsWith('?') ? [] : [name]));
    const needed = new Set([timestampColumn, ...(key ? [key] : []), ...typed]);
    const missing = [...needed].filter((n) => !header.includes(n));
    if (missing.length > 0) {
      throw new RunnelError(
        ErrorCodes.INPUT_MALFORMED,
        `CSV file ${path} has no ${orList(missing)} column (${didYouMean(missing, header, needed)}columns: ${excerptList(header)})`,
        { value: header },
      );
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
