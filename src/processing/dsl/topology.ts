import type { z } from 'zod';
import type { TopicConfig } from '../../core/broker.ts';
import { slipOf } from '../../core/closest-names.ts';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import { REPARTITION_SUFFIX } from '../../core/internal-topics.ts';
import { EngineProcessor } from '../engine/engine-processor.ts';
import { Graph, idleTimeoutOf, type Node, type SourceDecoding } from '../engine/graph.ts';
import { KeyedStream, type Stream, Table } from './stream.ts';

/**
 * A field name for event time: with a schema, one of its fields (a misspelt one is a compile error: it
 * dead-lettered every record at run time); without one, any name.
 */
export type EventTimeField<V> = unknown extends V ? string : V extends object ? Extract<keyof V, string> : string;

/** How a topic is read into a stream. */
export interface StreamOptions<S extends z.ZodType> {
  /** The values' shape: records that do not fit go to `<topic>.dlq`, the rest are typed by it. */
  schema?: S;
  /**
   * Event time: a field of the value (one the schema has, when there is a schema), a function of it, or
   * (default) the record's timestamp.
   */
  eventTime?: EventTimeField<z.infer<S>> | ((value: z.infer<S>) => number | undefined);
  /**
   * What a number in the `eventTime` field counts: `'ms'`, `'s'`, or (default) `'auto'`: seconds below
   * 1e11, ms above (epoch seconds and epoch ms of 1973 to 5138 both read right). Say `'ms'` for times
   * that are not since the epoch (ms since boot, a test's 0, 1000, 2000), which 'auto' takes for seconds.
   */
  eventTimeUnit?: 'auto' | 'ms' | 's';
  /** How far behind the newest record a record may arrive and still be on time (ms, default 0). */
  maxOutOfOrderMs?: number;
  /** An input partition silent this long stops holding the watermark back (ms, default 30 s). */
  idleTimeoutMs?: number;
  /**
   * This input's watermark counts this much ahead of what it delivered (ms, default 0). For a feedback
   * input (a topic the topology itself writes with `.to(topic, { carryWatermark: true })`): a change of
   * time t only matters to records of t + delay, so waiting for it must not hold the task back to t.
   */
  watermarkDelayMs?: number;
  /**
   * The watermark this input stands at before it delivered anything (default: none, it holds the task
   * back until it does). A feedback input needs one to start the cycle: nothing comes before this time.
   */
  initialWatermark?: number;
}

/**
 * Builds a dataflow: streams read from topics, steps, and the topics results go to. `compile` turns it
 * into processors the runtime runs: one per subtopology (the parts between repartition topics), each as
 * one task per input partition, so state scales out with the partitions.
 */
export class TopologyBuilder {
  readonly app: string;
  readonly graph = new Graph();
  /** Topics the topology writes (besides internal ones). */
  readonly outputs = new Set<string>();
  /** Internal topics (repartition, changelog) and the partitions they need. */
  readonly internalTopics = new Map<string, TopicConfig>();
  readonly #names = new Set<string>();
  readonly #storeOwner = new Map<number, number>();
  #counter = 0;
  /** Partitions of repartition topics (default: like the app's inputs, set by the app). */
  repartitionPartitions: number;

  constructor(app: string, options: { partitions?: number } = {}) {
    this.app = app;
    this.repartitionPartitions = options.partitions ?? 1;
  }

  /** A stream of a topic's records, typed by the schema. */
  stream<S extends z.ZodType = z.ZodType<unknown>>(
    topic: string,
    options: StreamOptions<S> = {},
  ): KeyedStream<z.infer<S>> {
    const id = this.graph.add({ kind: 'source', topic, decoding: decodingOf(options, topic), repartition: false }, []);
    return new KeyedStream<z.infer<S>>(this, id, 'topic');
  }

  /** The latest value per key of a topic, for joins (the topic's records must be keyed). */
  table<S extends z.ZodType = z.ZodType<unknown>>(
    topic: string,
    options: StreamOptions<S> & { name?: string } = {},
  ): Table<z.infer<S>> {
    const decoding: SourceDecoding = { ...decodingOf(options, topic), table: true };
    const id = this.graph.add({ kind: 'source', topic, decoding, repartition: false }, []);
    return this.materialize<z.infer<S>>(id, options.name ?? `${topic}-table`);
  }

  /** @internal A unique, stable operator name: its stores and changelog topics are named after it. */
  name(kind: string, given?: string): string {
    const name = given ?? `${kind}-${this.#counter++}`;
    if (!/^[A-Za-z0-9._-]+$/.test(name)) {
      throw new RunnelError(ErrorCodes.CONFIG_INVALID, `operator name "${name}" may hold only letters, digits, . _ -`);
    }
    if (this.#names.has(name)) {
      throw new RunnelError(ErrorCodes.CONFIG_INVALID, `two operators are named "${name}" in app ${this.app}`);
    }
    this.#names.add(name);
    return name;
  }

  /** @internal Before a stateful step: a stream whose keys changed goes through a repartition topic. */
  repartitionIfNeeded<V>(s: Stream<V>, why: string): Stream<V> {
    if (s.keying !== 'changed') return s;
    const topic = `${this.app}-${this.name(`${why}${REPARTITION_SUFFIX}`)}`;
    this.internalTopics.set(topic, { partitions: this.repartitionPartitions });
    this.graph.add({ kind: 'sink', topic, repartition: true }, [s.node]);
    // The inputs' idle timeout holds behind the repartition too: the task there hears from each upstream
    // task as one input, and with the default 30 s it let records of a partition quiet for less than the
    // user's timeout be late.
    const idleTimeoutMs = idleTimeoutOf(this.graph.sourcesOf(s.node));
    const id = this.graph.add({ kind: 'source', topic, decoding: { idleTimeoutMs }, repartition: true }, []);
    return new KeyedStream<V>(this, id, 'topic');
  }

  /** @internal A table step keeping the latest value per key in its store. */
  materialize<V>(parent: number, given?: string): Table<V> {
    const id = this.graph.add(
      {
        kind: 'op',
        spec: {
          name: this.name('table', given),
          stores: [{ name: 'table' }],
          create: () => ({
            process(r, ctx) {
              // Not dropped in silence: a table fed unkeyed records held nothing, and every join missed.
              if (r.key === null) {
                ctx.deadLetter(
                  r,
                  new RunnelError(
                    ErrorCodes.SCHEMA_MISMATCH,
                    `a table entry needs a key: the record has none (key the records of ${String(r.origin.topic)})`,
                  ),
                );
                return;
              }
              if (r.value === null || r.value === undefined) ctx.store('table').delete(r.key);
              else ctx.store('table').set(r.key, r.value, ctx.now());
            },
          }),
        },
      },
      [parent],
    );
    return new Table<V>(id, 'table');
  }

  /** @internal `user` reads the stores of `owner` (a join reads its table's). */
  shareStore(user: number, owner: number): void {
    this.#storeOwner.set(user, owner);
  }

  /** The processors to run, one per subtopology. */
  compile(): EngineProcessor[] {
    const subs = this.graph.compile();
    const storeName = (n: Node, local: string): string => {
      const owner = this.graph.nodes[this.#storeOwner.get(n.id) ?? n.id]!;
      if (owner.kind !== 'op') throw new Error(`node ${owner.id} has no stores`);
      return `${owner.spec.name}.${local}`;
    };
    return subs.map((sub) => {
      const p = new EngineProcessor({ app: this.app, sub, storeName });
      for (const t of [...sub.inputs, ...sub.outputs]) {
        const config = this.internalTopics.get(t);
        if (config) p.internalTopics[t] = config;
      }
      return p;
    });
  }
}

function decodingOf<S extends z.ZodType>(o: StreamOptions<S>, topic: string): SourceDecoding {
  checkEventTimeField(o, topic);
  const d: SourceDecoding = {};
  if (o.schema) d.schema = o.schema;
  if (o.eventTime !== undefined) d.eventTime = o.eventTime as SourceDecoding['eventTime'];
  if (o.eventTimeUnit !== undefined) {
    if (!['auto', 'ms', 's'].includes(o.eventTimeUnit))
      throw new RunnelError(
        ErrorCodes.CONFIG_INVALID,
        `eventTimeUnit must be 'auto', 'ms' or 's' (got ${JSON.stringify(o.eventTimeUnit)})`,
      );
    if (typeof o.eventTime !== 'string')
      throw new RunnelError(
        ErrorCodes.CONFIG_INVALID,
        "eventTimeUnit says what the eventTime field counts: name the field (eventTime: 'ts')",
      );
    d.eventTimeUnit = o.eventTimeUnit;
  }
  if (o.maxOutOfOrderMs !== undefined) d.maxOutOfOrderMs = o.maxOutOfOrderMs;
  if (o.idleTimeoutMs !== undefined) d.idleTimeoutMs = o.idleTimeoutMs;
  if (o.watermarkDelayMs !== undefined) d.watermarkDelayMs = o.watermarkDelayMs;
  if (o.initialWatermark !== undefined) d.initialWatermark = o.initialWatermark;
  return d;
}

/**
 * An `eventTime` field the schema has no such field for is refused as the topology is built: TypeScript
 * refuses it too, but `runnel run` does not type-check, and every record went to the dead letters.
 */
function checkEventTimeField<S extends z.ZodType>(o: StreamOptions<S>, topic: string): void {
  if (typeof o.eventTime !== 'string' || !o.schema) return;
  const shape = (o.schema as { shape?: unknown }).shape;
  if (!shape || typeof shape !== 'object') return;
  const fields = Object.keys(shape);
  if (fields.includes(o.eventTime)) return;
  const meant = slipOf(o.eventTime, fields);
  throw new RunnelError(
    ErrorCodes.CONFIG_INVALID,
    `stream ${topic}: eventTime "${o.eventTime}" is no field of its schema (${meant ? `did you mean "${meant}"? ` : ''}fields: ${fields.join(', ')})`,
    { value: o.eventTime },
  );
}
