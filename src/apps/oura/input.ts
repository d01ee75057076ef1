import { existsSync, readFileSync, statSync } from 'node:fs';
import Papa from 'papaparse';
import {
  csvRecordTexts,
  ErrorCodes,
  fileReplay,
  type OutgoingRecord,
  type Pacing,
  paced,
  RunnelError,
  type Source,
  type SourceContext,
  type SourceItem,
} from '../../index.ts';
import { dayMs, OuraDay } from './day.ts';

/**
 * The fields no day can do without: the schema's required ones, read from it so the two never disagree.
 * A file in which no document has one of them is not daily activity (a `daily_sleep` export has a `day`
 * too): it is refused, where replaying it would only dead-letter every day and exit 0.
 */
export const NEEDED_FIELDS: readonly string[] = Object.entries(OuraDay.shape)
  .filter(([, field]) => !field.safeParse(undefined).success)
  .map(([name]) => name);

/**
 * Oura daily-activity input in any of the three shapes it comes in, told apart by content (not by the
 * file name: the seed's README said CSV for what was JSONL):
 * - JSONL of `daily_activity` documents, one a line (the seed's `oura.jsonl`);
 * - the API's own response shape `{"data": [...], "next_token": ...}`, one a line or as the whole file;
 * - a CSV export with the same fields (`contributors.<name>` columns for the nested scores, or one
 *   `contributors` column holding JSON).
 * Every document becomes one record keyed by its `day`; a line that cannot be read is a dead letter with
 * its `file:line`.
 */
export function readOuraFile(path: string): SourceItem[] {
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  const docs = jsonDocuments(text, path);
  return docs ? everyFieldSomewhere(path, docs) : csvLines(text, path);
}

/** The file's JSON documents, in either JSON shape, or undefined when it is not JSON (then a CSV). */
function jsonDocuments(text: string, path: string): SourceItem[] | undefined {
  const start = text.trimStart();
  if (start.startsWith('{')) {
    const whole = wholeExport(text);
    if (whole) return whole.map((doc, i) => record(doc, `${path} data[${i}]`));
    return jsonLines(text, path);
  }
  if (start.startsWith('[')) {
    const values = parseOr(text);
    if (Array.isArray(values)) return values.map((doc, i) => record(doc, `${path}[${i}]`));
  }
  return undefined;
}

/**
 * The JSON counterpart of a CSV header without a needed column: a needed field that none of the file's
 * documents has. Every document is looked at, not the first few (the file is in memory already): a file
 * whose first days lack a field and whose later ones have it is daily activity with a few bad days, each a
 * dead letter with its place, not a file to refuse.
 */
function everyFieldSomewhere(path: string, items: SourceItem[]): SourceItem[] {
  const docs = items.flatMap((i) => (i.kind === 'record' ? [i.record.value] : []));
  if (docs.length === 0) return items;
  const has = (doc: unknown, field: string) => doc !== null && typeof doc === 'object' && field in doc;
  const missing = NEEDED_FIELDS.filter((f) => !docs.some((doc) => has(doc, f)));
  if (missing.length > 0) {
    const list = orList(missing);
    const why =
      docs.length === 1
        ? `its one document has no ${list} field`
        : `none of its ${docs.length} documents has a ${list} field`;
    throw notOura(path, why);
  }
  return items;
}

/** `"a"`, `"a" or "b"`, `"a", "b" or "c"`. */
function orList(names: readonly string[]): string {
  const q = names.map((n) => `"${n}"`);
  return q.length === 1 ? q[0]! : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

function notOura(path: string, why: string): RunnelError {
  return new RunnelError(
    ErrorCodes.INPUT_MALFORMED,
    `${path}: not Oura daily activity: ${why} (a day needs ${NEEDED_FIELDS.join(', ')})`,
    { value: path },
  );
}

/** The whole file as one export object (pretty-printed, as `curl … > export.json` saves it), or undefined. */
function wholeExport(text: string): unknown[] | undefined {
  const firstLine = text.trimStart().split('\n', 1)[0]!;
  // A JSONL file's first line is a whole value; a pretty-printed export's is not.
  if (parseOr(firstLine) !== undefined && text.trim().includes('\n')) return undefined;
  const v = parseOr(text);
  return isExport(v) ? v.data : undefined;
}

function jsonLines(text: string, path: string): SourceItem[] {
  const out: SourceItem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const position = `${path}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      out.push(invalid(`${position}: not JSON (${(err as Error).message})`, line, position));
      return;
    }
    if (!isExport(v)) out.push(record(v, position));
    else for (const [j, doc] of v.data.entries()) out.push(record(doc, `${position} data[${j}]`));
  });
  return out;
}

/** A CSV export, record by record (a quoted field may span lines; a dead letter names the line it starts on). */
function csvLines(text: string, path: string): SourceItem[] {
  const [head, ...rows] = csvRecordTexts(text);
  if (!head) return [];
  // Names as written, spaces around them aside (`day, total_calories`), as the csv source reads its header.
  const header = (Papa.parse<string[]>(head.text).data[0] ?? []).map((name) => name.trim());
  if (!header.includes('day')) {
    throw new RunnelError(
      ErrorCodes.INPUT_MALFORMED,
      `${path}: not Oura daily activity: neither JSON lines nor a CSV with a "day" column`,
      { value: path },
    );
  }
  // Without one of these every row would be a dead letter: refused as a header without "day" is.
  const missing = NEEDED_FIELDS.filter((f) => !header.includes(f));
  if (missing.length > 0) throw notOura(path, `its CSV header has no ${orList(missing)} column`);
  const out: SourceItem[] = [];
  for (const { text: row, line } of rows) {
    const position = `${path}:${line}`;
    const cells = Papa.parse<string[]>(row).data[0] ?? [];
    if (cells.length !== header.length) {
      out.push(invalid(`${position}: ${cells.length} fields, the header has ${header.length}`, row, position));
      continue;
    }
    try {
      out.push(record(csvDocument(header, cells), position));
    } catch (err) {
      out.push(invalid(`${position}: ${(err as Error).message}`, row, position));
    }
  }
  return out;
}

/** A CSV row as the JSON document it was exported from: numbers as numbers, empty cells as null. */
function csvDocument(header: string[], cells: string[]): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  header.forEach((name, i) => {
    const cell = cells[i]!.trim();
    if (name === 'contributors') {
      doc.contributors = cell === '' ? null : JSON.parse(cell);
      return;
    }
    const value = cell === '' ? null : /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(cell) ? Number(cell) : cell;
    const dot = name.indexOf('.');
    if (dot < 0) {
      doc[name] = value;
      return;
    }
    const parent = name.slice(0, dot);
    if (doc[parent] === undefined || doc[parent] === null) doc[parent] = {};
    (doc[parent] as Record<string, unknown>)[name.slice(dot + 1)] = value;
  });
  // Empty contributor cells are the seed's object of six nulls, as the JSON of such a day reads.
  return doc;
}

function record(value: unknown, position: string): SourceItem {
  const day = value && typeof value === 'object' ? (value as { day?: unknown }).day : undefined;
  const r: OutgoingRecord = { key: typeof day === 'string' ? day : null, value };
  const at = typeof day === 'string' ? dayMs(day) : Number.NaN;
  if (Number.isFinite(at)) r.timestamp = at;
  return { kind: 'record', record: r, position };
}

const invalid = (message: string, raw: string, position: string): SourceItem => ({
  kind: 'invalid',
  error: new RunnelError(ErrorCodes.INPUT_MALFORMED, message),
  raw,
  position,
});

function isExport(v: unknown): v is { data: unknown[] } {
  return v !== null && typeof v === 'object' && Array.isArray((v as { data?: unknown }).data);
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A replay of an Oura file, paced by event time (days) or at a rate, pausable from the dashboard. */
export function ouraFileSource(path: string, pacing: Pacing | undefined): Source {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new RunnelError(ErrorCodes.FILE_NOT_FOUND, `Oura file not found: ${path}`, { value: path });
  }
  // Read once as the app is built, so that a file which is not daily activity is refused before anything
  // starts (as the csv source checks its header), not once the replay is under way; read() reads it again,
  // as it may have grown since. A year of days is 170 kB.
  readOuraFile(path);
  let count: number | undefined;
  return {
    name: 'oura-file',
    pacing: () => pacing,
    expectedCount: () => count,
    // A second run goes on after the days an earlier one put on the topic (ctx.skip), not from the first day.
    replay: () => fileReplay(path),
    async *read(ctx: SourceContext): AsyncIterable<SourceItem[]> {
      const items = readOuraFile(path).slice(ctx.skip ?? 0);
      count = items.length;
      yield* paced(items, ctx, pacing, pacing ? 50 : 1000);
    },
  };
}
