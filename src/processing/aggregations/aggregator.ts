import { ErrorCodes, RunnelError } from '../../core/errors.ts';

/**
 * A mergeable fold: `init` an accumulator, `add` values to it, `merge` two of them (session windows
 * merge when a record bridges two sessions), `result` reads it out.
 *
 * The accumulator `A` must be plain JSON (numbers, strings, arrays, objects; no Infinity, NaN, Map or
 * class instances): it lives in a StoreState and is JSON.stringify'd at commit, then parsed on restore.
 * `add` and `merge` may reuse (mutate) their first argument and return it, so a caller must use the
 * returned accumulator and drop the one it passed in.
 */
export interface Aggregator<V, A, R> {
  init(): A;
  add(acc: A, value: V): A;
  merge(a: A, b: A): A;
  result(acc: A): R;
  /**
   * Throws (a RunnelError, INPUT_MALFORMED) if `add` would reject this value. Callers that add one value
   * to several accumulators (hopping windows) call it first, so a bad value changes none of them.
   */
  validate?(value: V): void;
}

/** The input type an aggregator accepts. */
export type InputOf<G> = G extends Aggregator<infer V, infer _A, infer _R> ? V : never;
/** The accumulator type of an aggregator. */
export type AccOf<G> = G extends Aggregator<infer _V, infer A, infer _R> ? A : never;
/** The result type of an aggregator. */
export type ResultOf<G> = G extends Aggregator<infer _V, infer _A, infer R> ? R : never;

/** Bad input to an aggregation is the record's fault, not the pipeline's: it goes to the dead letters. */
export function malformed(aggregator: string, expected: string, got: unknown): RunnelError {
  let shown: string;
  try {
    shown = typeof got === 'number' ? String(got) : (JSON.stringify(got) ?? String(got));
  } catch {
    shown = String(got);
  }
  return new RunnelError(ErrorCodes.INPUT_MALFORMED, `${aggregator}: expected ${expected}, got ${shown.slice(0, 80)}`);
}

export function checkFinite(aggregator: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw malformed(aggregator, 'a finite number', value);
}

/** Values counted as distinct or as top-k items: numbers and strings, told apart (1 is not '1'). */
export type Item = string | number;

export function itemKey(aggregator: string, value: unknown): string {
  if (typeof value === 'string') return `s${value}`;
  if (typeof value === 'number' && !Number.isNaN(value)) return `n${value}`;
  if (typeof value === 'boolean') return `b${value}`;
  throw malformed(aggregator, 'a string, number or boolean', value);
}

export function itemFromKey(key: string): string | number | boolean {
  const tag = key[0];
  const rest = key.slice(1);
  if (tag === 'n') return Number(rest);
  if (tag === 'b') return rest === 'true';
  return rest;
}
