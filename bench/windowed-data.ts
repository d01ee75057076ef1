/**
 * The windowed benchmarks' input and its reference: buzz-like JSON records keyed by author, event time in
 * `ts` (10 ms apart, in order), each author always on the same partition; and the windows a run must
 * close (10 s tumbling, per key, final when the partition's newest event time reaches the window's end).
 */
import type { OutgoingRecord } from '../src/core/record.ts';

export const WINDOW_MS = 10_000;
export const BASE_TS = Date.UTC(2025, 0, 1, 12);
export const authorOf = (i: number, authors: number): string => `author-${String(i % authors).padStart(3, '0')}`;
export const partitionOfAuthor = (i: number, partitions: number): number => i % partitions;

export interface WindowedInput {
  n: number;
  authors: number;
  partitions: number;
}

/** Record i: the value the topic holds, and its forced partition. */
export function windowedRecord(i: number, o: WindowedInput): OutgoingRecord {
  const a = i % o.authors;
  const author = authorOf(i, o.authors);
  const ts = BASE_TS + i * 10;
  return {
    key: author,
    partition: partitionOfAuthor(a, o.partitions),
    timestamp: ts,
    value: {
      message: `I just loved Python! It was amazing. #${i}`,
      author,
      ts,
      category: 'tech',
      sentiment: 0.87,
      keyword_mentioned: 'python',
      message_length: 42,
    },
  };
}

/** "key|start" -> count of every window that closes (end <= its partition's newest event time). */
export function expectedWindows(o: WindowedInput): Map<string, number> {
  const maxTs = new Array<number>(o.partitions).fill(Number.NEGATIVE_INFINITY);
  const counts = new Map<string, number>();
  for (let i = 0; i < o.n; i++) {
    const a = i % o.authors;
    const ts = BASE_TS + i * 10;
    const p = partitionOfAuthor(a, o.partitions);
    if (ts > maxTs[p]!) maxTs[p] = ts;
    const k = `${authorOf(i, o.authors)}|${ts - (ts % WINDOW_MS)}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  for (const k of [...counts.keys()]) {
    const a = Number(k.slice(7, 10));
    const start = Number(k.split('|')[1]);
    if (start + WINDOW_MS > maxTs[partitionOfAuthor(a, o.partitions)]!) counts.delete(k);
  }
  return counts;
}

/** Compares a run's window results with the reference; returns a one-line verdict. */
export function compareWindows(
  got: Array<{ key: string; start: number; n: number }>,
  want: Map<string, number>,
): { ok: boolean; line: string } {
  const seen = new Map<string, number>();
  let dup = 0;
  for (const r of got) {
    const k = `${r.key}|${r.start}`;
    if (seen.has(k)) dup++;
    seen.set(k, r.n);
  }
  let wrong = 0;
  let missing = 0;
  const sample: string[] = [];
  for (const [k, n] of want) {
    const g = seen.get(k);
    if (g === undefined) {
      missing++;
      if (sample.length < 3) sample.push(k);
    } else if (g !== n) wrong++;
  }
  const extra = [...seen.keys()].filter((k) => !want.has(k)).length;
  const ok = dup === 0 && wrong === 0 && missing === 0 && extra === 0;
  return {
    ok,
    line: `${got.length} results, ${want.size} expected${ok ? ', all equal' : `: ${missing} missing, ${wrong} wrong, ${extra} extra, ${dup} duplicated`}`,
  };
}
