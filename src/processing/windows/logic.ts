import type { Aggregator } from '../aggregations/aggregator.ts';
import type { EngineRecord } from '../engine/operator.ts';
import type { StoreState } from '../state/store-state.ts';

export type Origin = EngineRecord['origin'];

/** A window's result on its way out; the operator turns it into a record. */
export interface WindowResult {
  key: string | null;
  start: number;
  end: number;
  final: boolean;
  result: unknown;
  /** Count windows only: how many records the window holds. */
  count?: number;
  timestamp: number;
  origin: Origin;
}

/** What every kind of window gets from the operator. */
export interface WindowEnv<V, A, R> {
  store: StoreState;
  aggregator: Aggregator<V, A, R>;
  /** Allowed lateness, ms: a time window closes once watermark >= end + lateness. */
  lateness: number;
  /** Emit updated, non-final results of the windows a batch touched. */
  updates: boolean;
  now(): number;
}

/** One kind of window: keeps its state in env.store only, plus in-memory timers rebuilt from it. */
export interface WindowLogic<V> {
  /** Rebuilds in-memory indexes from the store (after a restore). */
  rebuild(): void;
  /** Adds a validated record; calls `late` if every window it could belong to is closed. */
  process(record: EngineRecord<V>, watermark: number, out: WindowResult[], late: (reason: string) => void): void;
  /** Moves every window with end + lateness <= watermark to `out` (final) and deletes its state. */
  close(watermark: number, out: WindowResult[]): void;
  /** Moves the current results of the windows touched since the last call to `out` (not final). */
  updates(out: WindowResult[]): void;
}

/** Store keys: a JSON array is unambiguous for any key, null included, and parses back on restore. */
export const stateKey = (...parts: (string | number | null)[]): string => {
  // The per-record case (a plain string key and a window start), built without JSON.stringify: the same
  // text, as the key needs no escaping, at a fraction of the cost (it was 5% of a windowed count).
  if (parts.length === 2) {
    const [k, n] = parts;
    if (typeof k === 'string' && typeof n === 'number' && Number.isFinite(n) && PLAIN.test(k)) return `["${k}",${n}]`;
  }
  return JSON.stringify(parts);
};
/** Text JSON.stringify writes unchanged: no quote, backslash, control character or lone surrogate. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it excludes
const PLAIN = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

export const originOf = (r: EngineRecord): Origin => ({
  topic: r.origin.topic,
  partition: r.origin.partition,
  offset: r.origin.offset,
});
