import { type AggregatorSpec, aggregate, on } from '../aggregations/aggregate.ts';
import type { Aggregator, Item } from '../aggregations/aggregator.ts';
import { count } from '../aggregations/count.ts';
import { distinctCount } from '../aggregations/distinct-count.ts';
import { max } from '../aggregations/max.ts';
import { mean } from '../aggregations/mean.ts';
import { min } from '../aggregations/min.ts';
import { quantiles } from '../aggregations/quantiles.ts';
import { sum } from '../aggregations/sum.ts';
import { topK } from '../aggregations/top-k.ts';
import { std, variance } from '../aggregations/variance.ts';
import { type WindowOutput, windowOperator } from '../windows/window-operator.ts';
import type { WindowSpec } from '../windows/window-spec.ts';
import { Stream } from './stream.ts';
import type { TopologyBuilder } from './topology.ts';

/**
 * Aggregations over a stream of `V`, each reading its input through a typed function of the value, so a
 * misspelt field is a compile error.
 */
export class AggBuilder<V> {
  count(): Aggregator<V, number, number> {
    return count();
  }
  sum(f: (v: V) => number) {
    return on(f, sum());
  }
  min(f: (v: V) => number) {
    return on(f, min());
  }
  max(f: (v: V) => number) {
    return on(f, max());
  }
  mean(f: (v: V) => number) {
    return on(f, mean());
  }
  variance(f: (v: V) => number) {
    return on(f, variance());
  }
  std(f: (v: V) => number) {
    return on(f, std());
  }
  /** Distinct values: exact up to a threshold, then HyperLogLog. */
  distinct(f: (v: V) => Item) {
    return on(f, distinctCount());
  }
  /** Quantiles, exact up to 256 distinct values, then by t-digest: `quantiles(f, [0.5, 0.99])` gives `{ p50, p99 }`. */
  quantiles<const Q extends readonly number[]>(f: (v: V) => number, qs: Q) {
    return on(f, quantiles(qs));
  }
  /** The k most frequent values (Space-Saving). */
  topK(f: (v: V) => Item, k: number) {
    return on(f, topK(k));
  }
  /** Any aggregator, fed through `f`. */
  of<T, A, R>(f: (v: V) => T, aggregator: Aggregator<T, A, R>): Aggregator<V, A, R> {
    return on(f, aggregator);
  }
}

type ResultOfSpec<S> = { [K in keyof S]: S[K] extends Aggregator<never, unknown, infer R> ? R : never };

export interface WindowOptions {
  /** ms a window stays open after its end, by the watermark (default 0). Later records go to `<topic>.late`. */
  allowedLateness?: number;
  /** 'final' (default): one result when the window closes; 'updates': also updated results as it fills. */
  emit?: 'final' | 'updates';
  name?: string;
}

/** A keyed stream cut into windows, waiting for its aggregation. */
export class WindowedStream<V> {
  readonly #t: TopologyBuilder;
  readonly #node: number;
  readonly #window: WindowSpec;
  readonly #o: WindowOptions;

  /** @internal */
  constructor(t: TopologyBuilder, node: number, window: WindowSpec, o: WindowOptions) {
    this.#t = t;
    this.#node = node;
    this.#window = window;
    this.#o = o;
  }

  /**
   * One result per key and window: `{ key, start, end, final, ...fields }`.
   * @example .aggregate((a) => ({ n: a.count(), mean: a.mean((m) => m.sentiment) }))
   */
  aggregate<S extends Record<string, Aggregator<V, unknown, unknown>>>(
    build: (a: AggBuilder<V>) => S,
  ): Stream<WindowOutput<ResultOfSpec<S>>> {
    const spec = build(new AggBuilder<V>());
    const name = this.#t.name('window', this.#o.name);
    const op = windowOperator({
      name,
      window: this.#window,
      aggregate: aggregate(spec as unknown as AggregatorSpec) as Aggregator<V, unknown, unknown>,
      ...(this.#o.allowedLateness === undefined ? {} : { allowedLateness: this.#o.allowedLateness }),
      ...(this.#o.emit ? { emit: this.#o.emit } : {}),
    });
    const id = this.#t.graph.add({ kind: 'op', spec: op }, [this.#node]);
    return new Stream(this.#t, id, 'topic');
  }
}
