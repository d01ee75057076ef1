import { ErrorCodes, isRunnelError, RunnelError } from '../../core/errors.ts';
import type { AccOf, Aggregator, InputOf, ResultOf } from './aggregator.ts';

/** Any aggregator: methods are bivariant in TypeScript, so every Aggregator<V, A, R> fits here. */
// biome-ignore lint/suspicious/noExplicitAny: the widest aggregator type; each entry keeps its own types through S
export type AnyAggregator = Aggregator<any, any, any>;

export type AggregatorSpec = Record<string, AnyAggregator>;

/**
 * How to get each aggregator's input out of a record value. An aggregator whose input the whole value
 * already is (count() takes anything) needs none; every other one must have one, or it is a compile error.
 */
export type Extractors<V, S extends AggregatorSpec> = { [K in keyof S]?: (value: V) => InputOf<S[K]> } & {
  [K in keyof S as [V] extends [InputOf<S[K]>] ? never : K]-?: (value: V) => InputOf<S[K]>;
};

/** The value type every aggregator of S accepts as it is (count() takes anything, mean() a number). */
export type CommonInput<S extends AggregatorSpec> =
  UnionToIntersection<{ [K in keyof S]: [InputOf<S[K]>] }[keyof S]> extends [infer V] ? V : never;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

export type AggregateAcc<S extends AggregatorSpec> = { [K in keyof S]: AccOf<S[K]> };
export type AggregateResult<S extends AggregatorSpec> = { [K in keyof S]: ResultOf<S[K]> };

/**
 * Feeds an aggregator a part of the value: `on((r: Reading) => r.temp, mean())` is an Aggregator<Reading, …>.
 * Lets `aggregate({ n: count(), t: on((r: Reading) => r.temp, mean()) })` infer the record type by itself.
 */
export function on<V, T, A, R>(extract: (value: V) => T, aggregator: Aggregator<T, A, R>): Aggregator<V, A, R> {
  const get = (value: V): T => {
    try {
      return extract(value);
    } catch (err) {
      if (isRunnelError(err)) throw err;
      throw new RunnelError(ErrorCodes.INPUT_MALFORMED, err instanceof Error ? err.message : String(err), {
        cause: err,
      });
    }
  };
  return {
    init: () => aggregator.init(),
    validate: (value) => aggregator.validate?.(get(value)),
    add: (acc, value) => aggregator.add(acc, get(value)),
    merge: (a, b) => aggregator.merge(a, b),
    result: (acc) => aggregator.result(acc),
  };
}

/**
 * Runs several aggregators over the same values as one: `aggregate({ n: count(), t: mean() }, { t: (r) => r.temp })`
 * is an Aggregator<R, …, { n: number; t: number }>. The accumulator is an object with the same keys.
 * The extractor form needs the record type known from context (a DSL method on a typed stream, or
 * `aggregate<Reading, S>`); standing alone, use `on(...)` entries and the one-argument form.
 * A value an extractor or aggregator rejects fails `validate` (and `add`) before any accumulator changes.
 */
export function aggregate<const S extends AggregatorSpec>(
  spec: S,
): Aggregator<CommonInput<S>, AggregateAcc<S>, AggregateResult<S>>;
export function aggregate<V, const S extends AggregatorSpec>(
  spec: S,
  extractors: Extractors<V, S>,
): Aggregator<V, AggregateAcc<S>, AggregateResult<S>>;
export function aggregate<V, const S extends AggregatorSpec>(
  spec: S,
  extractors: Extractors<V, S> | Record<string, never> = {},
): Aggregator<V, AggregateAcc<S>, AggregateResult<S>> {
  const names = Object.keys(spec);
  const aggs = names.map((n) => spec[n]!);
  const extract = names.map((n) => (extractors as Record<string, ((v: V) => unknown) | undefined>)[n]);
  for (const n of Object.keys(extractors)) {
    if (!names.includes(n)) throw new RangeError(`aggregate: extractor "${n}" has no aggregator`);
  }

  // Per record, twice (validate, then add): plain loops over precomputed lists, no array or closure per
  // call; with no extractor and no validating aggregator (a count) there is nothing to check at all.
  const size = names.length;
  const anyExtract = extract.some((f) => f !== undefined);
  const anyValidate = aggs.some((a) => a.validate !== undefined);
  const inputOf = (i: number, value: V): unknown => {
    const f = extract[i];
    if (!f) return value;
    try {
      return f(value);
    } catch (err) {
      if (isRunnelError(err)) throw err;
      throw new RunnelError(
        ErrorCodes.INPUT_MALFORMED,
        `${names[i]}: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
    }
  };
  const checkOne = (i: number, x: unknown): void => {
    try {
      aggs[i]!.validate?.(x);
    } catch (err) {
      if (isRunnelError(err)) throw new RunnelError(err.code, `${names[i]}: ${err.message}`, { cause: err });
      throw err;
    }
  };
  /** Every input, extracted (each once) and validated, before any accumulator changes. */
  const inputs = (value: V): unknown[] | undefined => {
    if (!anyExtract && !anyValidate) return undefined;
    const xs = new Array<unknown>(size);
    for (let i = 0; i < size; i++) xs[i] = inputOf(i, value);
    if (anyValidate) for (let i = 0; i < size; i++) checkOne(i, xs[i]);
    return xs;
  };

  return {
    init() {
      const acc: Record<string, unknown> = {};
      for (let i = 0; i < size; i++) acc[names[i]!] = aggs[i]!.init();
      return acc as AggregateAcc<S>;
    },
    validate(value) {
      inputs(value);
    },
    add(acc, value) {
      const xs = inputs(value);
      const a = acc as Record<string, unknown>;
      for (let i = 0; i < size; i++) {
        const name = names[i]!;
        a[name] = aggs[i]!.add(a[name], xs ? xs[i] : value);
      }
      return acc;
    },
    merge(x, y) {
      const a = x as Record<string, unknown>;
      const b = y as Record<string, unknown>;
      for (let i = 0; i < size; i++) {
        const name = names[i]!;
        a[name] = aggs[i]!.merge(a[name], b[name]);
      }
      return x;
    },
    result(acc) {
      const a = acc as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (let i = 0; i < size; i++) {
        const name = names[i]!;
        out[name] = aggs[i]!.result(a[name]);
      }
      return out as AggregateResult<S>;
    },
  };
}
