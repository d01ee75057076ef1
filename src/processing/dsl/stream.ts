import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import type { Emit, EngineRecord, Operator, OperatorSpec, TaskContext } from '../engine/operator.ts';
import type { WindowSpec } from '../windows/window-spec.ts';
import { type AnyStoreSpec, bindMapStore, bindValueStore, type StoreOf } from './stores.ts';
import type { TopologyBuilder } from './topology.ts';
import { WindowedStream, type WindowOptions } from './windowed.ts';

/** What an operator's function may know of the record besides its value. */
export interface RecordMeta {
  key: string | null;
  /** Event time (ms). */
  timestamp: number;
  headers: Readonly<Record<string, string>>;
  /** The task's watermark when the record is handled. */
  watermark: number;
  /**
   * Where the record was read: its topic, partition and offset (after a repartition, the internal topic's).
   * An alert can point back at the reading that raised it.
   */
  origin: Readonly<{ topic: string; partition: number; offset: number }>;
}

/** How a stream is partitioned: by the keys on its topic, or by keys a keyBy changed (repartition due). */
export type Keying = 'topic' | 'changed';

const meta = (r: EngineRecord, ctx: TaskContext): RecordMeta => ({
  key: r.key,
  timestamp: r.timestamp,
  headers: r.headers,
  watermark: ctx.watermark,
  origin: r.origin,
});

/** A stateless step, built from a function over each record. */
function stateless(name: string, step: Operator['process']): OperatorSpec {
  return { name, create: () => ({ process: step }) };
}

/**
 * An unbounded stream of typed values. Every method adds a step to the topology and returns the stream
 * after it; nothing runs until the app runs. `V` flows from the source's schema through every step, so a
 * misspelt field is a compile error.
 */
export class Stream<V> {
  /** @internal */
  readonly t: TopologyBuilder;
  /** @internal */
  readonly node: number;
  /** @internal */
  readonly keying: Keying;

  /** @internal */
  constructor(t: TopologyBuilder, node: number, keying: Keying) {
    this.t = t;
    this.node = node;
    this.keying = keying;
  }

  /** A new value for each record. */
  map<U>(fn: (value: V, meta: RecordMeta) => U, options: { name?: string } = {}): Stream<U> {
    const spec = stateless(this.t.name('map', options.name), (r, ctx, emit) =>
      emit({ ...r, value: fn(r.value as V, meta(r, ctx)) }),
    );
    return this.#then(spec, this.keying);
  }

  /** Keeps the records for which `fn` is true (a type guard narrows the stream's type). */
  filter<U extends V>(fn: (value: V, meta: RecordMeta) => value is U, options?: { name?: string }): Stream<U>;
  filter(fn: (value: V, meta: RecordMeta) => boolean, options?: { name?: string }): Stream<V>;
  filter(fn: (value: V, meta: RecordMeta) => boolean, options: { name?: string } = {}): Stream<V> {
    const spec = stateless(this.t.name('filter', options.name), (r, ctx, emit) => {
      if (fn(r.value as V, meta(r, ctx))) emit(r);
    });
    return this.#then(spec, this.keying);
  }

  /** Zero or more values for each record. */
  flatMap<U>(fn: (value: V, meta: RecordMeta) => Iterable<U>, options: { name?: string } = {}): Stream<U> {
    const spec = stateless(this.t.name('flat-map', options.name), (r, ctx, emit) => {
      for (const value of fn(r.value as V, meta(r, ctx))) emit({ ...r, value });
    });
    return this.#then(spec, this.keying);
  }

  /**
   * Splits the stream: each record goes to the first branch whose predicate holds, or to the last stream
   * returned (the rest) when none does.
   */
  branch(...predicates: Array<(value: V, meta: RecordMeta) => boolean>): Array<Stream<V>> {
    const splitter = this.t.graph.add(
      { kind: 'op', spec: stateless(this.t.name('branch'), (r, _ctx, emit) => emit(r)) },
      [this.node],
    );
    const outs: Array<Stream<V>> = [];
    for (let i = 0; i <= predicates.length; i++) {
      const earlier = predicates.slice(0, i);
      const mine = predicates[i];
      const spec = stateless(this.t.name(`branch-${i}`), (r, ctx, emit) => {
        const m = meta(r, ctx);
        if (earlier.some((p) => p(r.value as V, m))) return;
        if (mine && !mine(r.value as V, m)) return;
        emit(r);
      });
      outs.push(new Stream<V>(this.t, this.t.graph.add({ kind: 'op', spec }, [splitter]), this.keying));
    }
    return outs;
  }

  /** One stream of this one's records and the others'. */
  merge(...others: Array<Stream<V>>): Stream<V> {
    const spec = stateless(this.t.name('merge'), (r, _ctx, emit) => emit(r));
    const id = this.t.graph.add({ kind: 'op', spec }, [this.node, ...others.map((o) => o.node)]);
    const keying = [this, ...others].some((s) => s.keying === 'changed') ? 'changed' : 'topic';
    return new Stream<V>(this.t, id, keying);
  }

  /**
   * Keys each record by `fn`. State kept per key must live in the partition that owns the key, so the
   * next stateful step reads the stream back through an internal repartition topic (as Kafka Streams
   * does). Use `keyedByTopic()` instead when the topic's records already carry that key.
   */
  keyBy(
    fn: (value: V, meta: RecordMeta) => string,
    options: {
      name?: string;
      /**
       * `false`: the records stay in their partition, keyed anew, with no repartition topic. Right only on
       * an input of one partition (one global key, say, over a topic of one partition); the task refuses to
       * start on more, rather than keep one key's state in several partitions.
       */
      repartition?: false;
    } = {},
  ): KeyedStream<V> {
    const name = this.t.name('key-by', options.name);
    const spec = stateless(name, (r, ctx, emit) => {
      const key = fn(r.value as V, meta(r, ctx));
      if (typeof key !== 'string') {
        throw new RunnelError(ErrorCodes.PROCESSING_FAILED, `keyBy returned ${typeof key}, not a string`);
      }
      emit({ ...r, key });
    });
    if (options.repartition === false) {
      spec.singlePartition = `${name} keys records anew without a repartition (keyBy repartition: false)`;
      return new KeyedStream<V>(this.t, this.t.graph.add({ kind: 'op', spec }, [this.node]), this.keying);
    }
    const s = this.#then(spec, 'changed');
    return new KeyedStream<V>(this.t, s.node, 'changed');
  }

  /** The stream keyed by the keys its topic's records already carry (no repartition). */
  keyedByTopic(): KeyedStream<V> {
    return new KeyedStream<V>(this.t, this.node, this.keying);
  }

  /**
   * Writes every record to a topic (created with the app's topics if it does not exist). `carryWatermark`:
   * the topic also carries this step's watermark, in marker records (null key and value) and on each
   * record, as repartition topics do, so a stream of the same topology reading it back (a feedback loop)
   * waits for it by event time. Readers outside the topology see the markers: skip null values.
   */
  to(topic: string, options: { carryWatermark?: boolean } = {}): void {
    this.t.graph.add(
      { kind: 'sink', topic, repartition: false, ...(options.carryWatermark ? { carryWatermark: true } : {}) },
      [this.node],
    );
    this.t.outputs.add(topic);
  }

  /** Joins each record with the latest value of its key in `table` (inner: no value, no output; `left`: null). */
  join<T, U>(
    table: Table<T>,
    joiner: (value: V, tableValue: T, meta: RecordMeta) => U,
    options?: { name?: string; left?: false },
  ): Stream<U>;
  join<T, U>(
    table: Table<T>,
    joiner: (value: V, tableValue: T | null, meta: RecordMeta) => U,
    options: { name?: string; left: true },
  ): Stream<U>;
  join<T, U>(
    table: Table<T>,
    joiner: (value: V, tableValue: T, meta: RecordMeta) => U,
    options: { name?: string; left?: boolean } = {},
  ): Stream<U> {
    const keyed = this.t.repartitionIfNeeded(this, 'join');
    const storeName = table.storeName;
    const name = this.t.name('join', options.name);
    const spec: OperatorSpec = {
      name,
      create: () => {
        let missed = false;
        return {
          process(r, ctx, emit) {
            const tv = r.key === null ? undefined : ctx.store(storeName).get<T>(r.key);
            if (r.key === null || (tv === undefined && !options.left)) {
              // Counted, so a drop is never silent: the status, the dashboard and the run's summary say how many.
              ctx.unjoined();
              // Said once per task: a table fed at the same time as its stream may not hold a key yet, and
              // an inner join then drops the record, which read as records lost.
              if (!missed)
                ctx.log.warn(
                  `${name}: a record of key ${JSON.stringify(r.key)} found no value in the table and is not joined ` +
                    '(an inner join); more may follow, counted as `unjoined` in its status. A table fed beside its ' +
                    'stream may not hold a key yet: produce the table first, or join with { left: true }',
                );
              missed = true;
              return;
            }
            emit({ ...r, value: joiner(r.value as V, (tv ?? null) as T, meta(r, ctx)) });
          },
        };
      },
    };
    const id = this.t.graph.add({ kind: 'op', spec }, [keyed.node, table.node]);
    this.t.shareStore(id, table.node);
    return new Stream<U>(this.t, id, 'topic');
  }

  #then<U>(spec: OperatorSpec, keying: Keying): Stream<U> {
    return new Stream<U>(this.t, this.t.graph.add({ kind: 'op', spec }, [this.node]), keying);
  }
}

/** What `KeyedStream.process` hands the function: the record's key, its stores, and ways to emit. */
export interface ProcessContext<U, S extends Record<string, AnyStoreSpec>> extends RecordMeta {
  key: string;
  stores: { [K in keyof S]: StoreOf<S[K]> };
  /** Emits a value downstream (same key and event time unless given). */
  emit(value: U, options?: { key?: string; timestamp?: number }): void;
  /** Writes a value straight to a topic (an alert topic, a notification topic). */
  emitTo(topic: string, value: unknown, options?: { key?: string; timestamp?: number }): void;
  /** Sends the current record to the dead-letter topic with `reason`, instead of throwing. */
  reject(reason: string): void;
  /**
   * The stores under another key of this task's partition: state kept by something other than the record's
   * key (what waits for one tick, under that tick's key), which `onWatermark` then finds by that key. The
   * key stays in this partition whatever partition it would hash to.
   */
  storesFor(key: string): { [K in keyof S]: StoreOf<S[K]> };
  /** Messages for the person running the pipeline (stderr in the CLI); a batch replayed after a crash logs again. */
  log: Logger;
}

/**
 * What `flush` hands the function at the end of a batch, once per key the batch touched: the key's stores,
 * and emit/emitTo whose key and event time default to those of the key's last record in the batch.
 */
export type FlushContext<U, S extends Record<string, AnyStoreSpec>> = Omit<ProcessContext<U, S>, 'reject'>;

/**
 * What `onWatermark` hands the function when the task's watermark moved: the keys a store holds, and a
 * context per key (its stores, emit/emitTo; event time defaults to the watermark − 1, pass the real one).
 */
export interface WatermarkContext<U, S extends Record<string, AnyStoreSpec>> {
  watermark: number;
  /** The keys `store` holds in this partition (a copy: changing the store while going through it is fine). */
  keys(store: keyof S & string): string[];
  /** The context of one key, as `process` would have it. */
  forKey(key: string): FlushContext<U, S>;
  /**
   * Writes a value straight to a topic for the partition as a whole, not one key (a summary of what this
   * call decided); event time defaults to the watermark − 1.
   */
  emitTo(topic: string, value: unknown, options: { key: string; timestamp?: number }): void;
  log: Logger;
}

/** A stream whose records are keyed: per-key state and windows live here. */
export class KeyedStream<V> extends Stream<V> {
  /**
   * Runs `fn` for each record with typed per-key stores (value or map), committed by changed keys with the
   * input positions. The model of an online learner, a person's status, an alert's episode live here.
   */
  process<U, S extends Record<string, AnyStoreSpec>>(
    options: {
      name?: string;
      stores: S;
      /**
       * The topics `emitTo` writes. Declared, they count as this step's outputs: a sink or stream of one
       * is known to be fed (a run that read nothing from an unknown, empty topic warns of a misspelling).
       */
      outputs?: string[];
      /**
       * Called at the end of every batch, before its commit, once for each key `fn` saw in the batch: emit a
       * key's summary here to send one record per batch instead of one per input record (a dashboard wants
       * the latest totals, not every step). Results then depend on how input was batched.
       */
      flush?: (ctx: FlushContext<U, S>) => void;
      /**
       * Called each time the task's watermark moves (after the record that moved it): event-time timers.
       * Keep what waits for a time in a store (a per-key buffer) and release it here, once the watermark
       * says nothing earlier can come; the store makes it survive a restart.
       */
      onWatermark?: (watermark: number, ctx: WatermarkContext<U, S>) => void;
    },
    fn: (value: V, ctx: ProcessContext<U, S>) => void,
  ): Stream<U> {
    const keyed = this.t.repartitionIfNeeded(this, 'process');
    const name = this.t.name('process', options.name);
    for (const topic of options.outputs ?? []) this.t.outputs.add(topic);
    const spec: OperatorSpec = {
      name,
      ...(options.outputs ? { sideOutputs: [...options.outputs] } : {}),
      stores: Object.entries(options.stores).map(([n, s]) => ({ name: n, ...(s.ttlMs ? { ttlMs: s.ttlMs } : {}) })),
      create: () => {
        let current: EngineRecord | undefined;
        let bound: ProcessContext<U, S>['stores'] | undefined;
        /**
         * The last record of each key in this batch, for `flush`, and when it came: a key's entry is
         * overwritten in place, never deleted and added again (a Map whose table is old reallocates it, in
         * the old generation, when a delete empties it: per record for a step with one key, buzz's stats).
         */
        const touched = new Map<string, { r: EngineRecord; at: number }>();
        let touches = 0;
        const storeNames = Object.keys(options.stores);
        /**
         * The stores bound to a key: the record's (bound once, reading the current record's key), or one key's
         * for forKey (every key a store holds, each time the watermark moves) and storesFor: a plain loop, not
         * entries/map/fromEntries.
         */
        const bindStores = (key: () => string, ctx: TaskContext): ProcessContext<U, S>['stores'] => {
          const now = () => ctx.now();
          const stores: Record<string, unknown> = {};
          for (const n of storeNames) {
            stores[n] =
              options.stores[n]!.kind === 'value'
                ? bindValueStore(ctx.store(n), key, now)
                : bindMapStore(ctx.store(n), key, now);
          }
          return stores as ProcessContext<U, S>['stores'];
        };
        const recordKey = () => current!.key!;
        const bind = (ctx: TaskContext) => {
          bound ??= bindStores(recordKey, ctx);
          return bound;
        };
        // The last key's binding is kept: callers mostly ask for one key many times in a row (stopcovid's
        // person stage, the tick every position of a batch waits under), and a binding holds no state.
        let lastFor: { k: string; ctx: TaskContext; stores: ProcessContext<U, S>['stores'] } | undefined;
        const storesFor = (k: string, ctx: TaskContext) => {
          if (lastFor === undefined || lastFor.k !== k || lastFor.ctx !== ctx)
            lastFor = { k, ctx, stores: bindStores(() => k, ctx) };
          return lastFor.stores;
        };
        // meta()'s fields written out, not spread: a context is built for every record.
        const context = (
          r: EngineRecord & { key: string },
          ctx: TaskContext,
          emit: Emit,
          stores: ProcessContext<U, S>['stores'] = bind(ctx),
        ): FlushContext<U, S> => ({
          key: r.key,
          timestamp: r.timestamp,
          headers: r.headers,
          watermark: ctx.watermark,
          origin: r.origin,
          stores,
          storesFor: (k) => storesFor(k, ctx),
          log: ctx.log,
          emit: (value, o = {}) => emit({ ...r, key: o.key ?? r.key, timestamp: o.timestamp ?? r.timestamp, value }),
          emitTo: (topic, value, o = {}) =>
            ctx.output(topic, { key: o.key ?? r.key, value, timestamp: o.timestamp ?? r.timestamp }),
        });
        const onWatermark = options.onWatermark;
        return {
          ...(onWatermark
            ? {
                onWatermark(watermark: number, ctx: TaskContext, emit: Emit) {
                  const at = Number.isFinite(watermark) ? watermark - 1 : 0;
                  onWatermark(watermark, {
                    watermark,
                    log: ctx.log,
                    emitTo: (topic, value, o) => ctx.output(topic, { key: o.key, value, timestamp: o.timestamp ?? at }),
                    keys: (store) =>
                      options.stores[store]?.kind === 'map'
                        ? ctx.store(store).groupKeys()
                        : [...ctx.store(store).keys()],
                    forKey(k) {
                      const r: EngineRecord & { key: string } = {
                        key: k,
                        value: undefined,
                        timestamp: at,
                        headers: {},
                        origin: { topic: name, partition: ctx.partition, offset: -1 },
                      };
                      return context(r, ctx, emit, storesFor(k, ctx));
                    },
                  });
                },
              }
            : {}),
          process(r, ctx, emit) {
            if (r.key === null) {
              ctx.deadLetter(r, new RunnelError(ErrorCodes.PROCESSING_FAILED, `${name}: a record without a key`));
              return;
            }
            current = r;
            try {
              const c = context(r as EngineRecord & { key: string }, ctx, emit) as ProcessContext<U, S>;
              c.reject = (reason) =>
                ctx.deadLetter(r, new RunnelError(ErrorCodes.PROCESSING_FAILED, `${name}: ${reason}`));
              fn(r.value as V, c);
            } finally {
              current = undefined;
            }
            if (options.flush) {
              const t = touched.get(r.key);
              if (t === undefined) touched.set(r.key, { r, at: touches++ });
              else {
                t.r = r;
                t.at = touches++;
              }
            }
          },
          ...(options.flush
            ? {
                flush(ctx: TaskContext, emit: Emit) {
                  // Keys in the order of their last record.
                  const order = [...touched.values()].sort((a, b) => a.at - b.at);
                  for (const { r } of order) {
                    current = r;
                    try {
                      options.flush!(context(r as EngineRecord & { key: string }, ctx, emit));
                    } finally {
                      current = undefined;
                    }
                  }
                  touched.clear();
                  touches = 0;
                },
              }
            : {}),
        };
      },
    };
    return new Stream<U>(this.t, this.t.graph.add({ kind: 'op', spec }, [keyed.node]), 'topic');
  }

  /**
   * A running aggregate per key (no window): emits the key's new result after each record. `init` and
   * `add` must treat the accumulator as a value (return a new one or the same one changed).
   */
  reduce<A>(options: { name?: string; init: () => A; add: (acc: A, value: V, meta: RecordMeta) => A }): Stream<A> {
    return this.process<A, { acc: ReturnType<typeof valueStoreOf<A>> }>(
      { name: options.name ?? this.t.name('reduce'), stores: { acc: valueStoreOf<A>() } },
      (value, ctx) => {
        const next = options.add(ctx.stores.acc.get() ?? options.init(), value, ctx);
        ctx.stores.acc.set(next);
        ctx.emit(next);
      },
    );
  }

  /** Cuts the stream into windows per key (tumbling, hopping, sliding, session; by time or count). */
  window(window: WindowSpec, options: WindowOptions = {}): WindowedStream<V> {
    const keyed = this.t.repartitionIfNeeded(this, 'window');
    return new WindowedStream<V>(this.t, keyed.node, window, options);
  }

  /** The latest value per key as a table, for joins. */
  toTable(options: { name?: string } = {}): Table<V> {
    const keyed = this.t.repartitionIfNeeded(this, 'table');
    return this.t.materialize<V>(keyed.node, options.name);
  }
}

function valueStoreOf<A>() {
  return { kind: 'value' as const } as { readonly kind: 'value'; readonly ttlMs?: number; readonly __type?: A };
}

/** The latest value per key of a topic or stream, held in a store of each partition's task. */
export class Table<V> {
  /** @internal */
  readonly node: number;
  /** @internal */
  readonly storeName: string;
  /** Phantom: the value type. */
  declare readonly __type?: V;

  /** @internal */
  constructor(node: number, storeName: string) {
    this.node = node;
    this.storeName = storeName;
  }
}
