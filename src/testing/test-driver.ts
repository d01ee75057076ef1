import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppDefinition, AppOptions } from '../core/app.ts';
import { slipOf } from '../core/closest-names.ts';
import type { ProcessorTask, TaskProcessor } from '../core/connector.ts';
import { ErrorCodes, RunnelError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { partitionForKey } from '../core/partitioner.ts';
import type { OutgoingRecord, StreamRecord } from '../core/record.ts';
import { WATERMARK_HEADER } from '../processing/engine/task.ts';

/** A record piped into the driver: the value, and optionally its key, event time and headers. */
export interface TestInput<V = unknown> {
  key?: string | null;
  value: V;
  timestamp?: number;
  headers?: Record<string, string>;
}

/** A record the pipeline wrote, as a consumer of the topic would read it. */
export interface TestOutput<V = unknown> {
  topic: string;
  partition: number;
  key: string | null;
  value: V;
  timestamp: number;
  headers: Record<string, string>;
}

export interface TestDriverOptions {
  /** Partitions of every topic (default 1); `partitionsOf` overrides per topic. */
  partitions?: number;
  partitionsOf?: Record<string, number>;
  /** Start of the virtual processing-time clock (ms, default 0). */
  startTime?: number;
  /** Where the steps' `ctx.log` writes (default: nowhere). */
  log?: Logger;
}

interface Committed {
  /** store -> partition -> key -> [JSON value, expiresAt] */
  state: Map<string, Map<number, Map<string, [string, number | undefined]>>>;
}

/** forApp's data folders, removed when the process exits (one hook for them all). */
const dataDirs = new Set<string>();

function tempDataDir(app: string): string {
  if (dataDirs.size === 0)
    process.once('exit', () => {
      for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    });
  const dir = mkdtempSync(join(tmpdir(), `runnel-test-${app}-`));
  dataDirs.add(dir);
  return dir;
}

/**
 * Runs processors in-process, with no broker and a virtual clock: pipe records in, advance time, read the
 * outputs and the state. Each `pipe` is one batch, committed as the runtime commits one, and `restart`
 * rebuilds every task from its committed state alone, as a crash would. Repartition topics flow between
 * the processors inside the driver. The role of Kafka Streams' TopologyTestDriver.
 *
 * @example
 * const driver = new TestDriver(topology.compile());
 * driver.pipe('readings', [{ key: 's1', value: { t: 20 }, timestamp: 1000 }]);
 * driver.end();
 * assert.deepEqual(driver.values('readings.per-minute'), [...]);
 */
export class TestDriver {
  readonly #processors: TaskProcessor[];
  readonly #o: TestDriverOptions;
  readonly #tasks = new Map<TaskProcessor, Map<number, ProcessorTask>>();
  readonly #offsets = new Map<string, number>();
  readonly #outputs: TestOutput[] = [];
  readonly #committed: Committed = { state: new Map() };
  #now: number;

  /**
   * A driver over an app's own processors, as `defineApp` builds them for `runnel run` (the same steps, not a
   * copy in the test), its topics with the app's partitions, its settings from `env`. Its sources do not
   * run: the test pipes the records in. A trial found the guide's "build the same steps again" was the
   * only way to test a pipeline file.
   *
   * @example
   * import app from './my-pipeline.ts';
   * const driver = await TestDriver.forApp(app, { env: { MY_SETTING: '3' } });
   */
  static async forApp(
    app: AppDefinition,
    options: TestDriverOptions & { env?: AppOptions['env'] } = {},
  ): Promise<TestDriver> {
    const { env = {}, ...rest } = options;
    // Sources are built with the app (a replay may write its sample file there) but never run here. The
    // folder stays until the process exits: a step may read `options.dataDir` when it runs.
    const dataDir = tempDataDir(app.name);
    const spec = await app.build({ dataDir, sinks: [], env });
    // As a run makes the topics: the processors' internal (repartition) topics, then the app's own.
    const configs: Record<string, { partitions?: number }> = {};
    for (const p of spec.processors) Object.assign(configs, p.internalTopics);
    Object.assign(configs, spec.topics);
    const declared = Object.entries(configs).map(([topic, c]) => [topic, c.partitions ?? 1] as const);
    return new TestDriver(spec.processors, {
      ...rest,
      // `partitions` given here is every topic's; `partitionsOf` wins over both.
      partitionsOf: { ...(rest.partitions === undefined ? Object.fromEntries(declared) : {}), ...rest.partitionsOf },
    });
  }

  constructor(processors: TaskProcessor[], options: TestDriverOptions = {}) {
    this.#processors = processors;
    this.#o = options;
    this.#now = options.startTime ?? 0;
    this.#build();
  }

  /** Virtual processing time (ms). */
  get now(): number {
    return this.#now;
  }

  /** Pipes records into a topic as one batch, runs everything they cause, and commits. */
  pipe<V>(topic: string, records: Array<TestInput<V>>): this {
    const read = new Set(this.#processors.flatMap((p) => p.inputs));
    if (!read.has(topic)) throw unknown('pipe', topic, 'no step reads it', read);
    const queue: StreamRecord[] = records.map((r) => this.#append(topic, r));
    this.#run(queue, (t) => t.tick());
    return this;
  }

  /** Moves processing time forward (idle partitions may then release their watermark). */
  advanceTime(ms: number): this {
    this.#now += ms;
    this.#run([], (t) => t.tick());
    return this;
  }

  /**
   * The input is over: every window closes and emits. Processors end one after another, upstream first,
   * each once what the ones before it released has run through (as the runtime's drain does), so what an
   * upstream step releases at its end is not late downstream.
   */
  end(): this {
    for (const p of this.#processors) this.#run([], (t) => t.endOfInput(), p);
    return this;
  }

  /**
   * Rebuilds every task from its committed state only, as after a crash; `afterMs`: virtual time that
   * passes while nothing runs (a restart an hour later finds state whose TTL ran out meanwhile).
   */
  restart(options: { afterMs?: number } = {}): this {
    this.#now += options.afterMs ?? 0;
    this.#build();
    return this;
  }

  /** Everything written to `topic` so far (watermark markers excepted). */
  outputs<V = unknown>(topic: string): Array<TestOutput<V>> {
    const topics = this.#topics();
    if (!topics.has(topic)) throw unknown('outputs', topic, 'the pipeline writes no such topic', topics);
    return this.#outputs.filter((o) => o.topic === topic && o.headers[WATERMARK_HEADER] === undefined) as Array<
      TestOutput<V>
    >;
  }

  /** The values written to `topic`. */
  values<V = unknown>(topic: string): V[] {
    return this.outputs<V>(topic).map((o) => o.value);
  }

  /** A store's committed entries over all partitions (store name `<operator>.<store>`). */
  state<V = unknown>(store: string): Map<string, V> {
    const stores = new Set(this.#processors.flatMap((p) => p.stores));
    if (!stores.has(store)) throw unknown('state', store, 'no such store', stores);
    const out = new Map<string, V>();
    for (const part of this.#committed.state.get(store)?.values() ?? []) {
      for (const [k, [json]] of part) out.set(k, JSON.parse(json) as V);
    }
    return out;
  }

  /** The lowest watermark of a processor's tasks. */
  watermark(processor = 0): number {
    const tasks = this.#tasks.get(this.#processors[processor]!);
    return Math.min(...[...(tasks?.values() ?? [])].map((t) => t.watermark));
  }

  /** Every topic the pipeline may write: its outputs, and its inputs' and outputs' `.dlq` and `.late`. */
  #topics(): Set<string> {
    const out = new Set(this.#outputs.map((o) => o.topic));
    for (const p of this.#processors)
      for (const t of [...p.inputs, ...p.outputs]) {
        out.add(t);
        out.add(`${t}.dlq`);
        out.add(`${t}.late`);
      }
    return out;
  }

  #partitions(topic: string): number {
    return this.#o.partitionsOf?.[topic] ?? this.#o.partitions ?? 1;
  }

  #build(): void {
    for (const p of this.#processors) {
      const tasks = new Map<number, ProcessorTask>();
      const n = this.#partitions(p.inputs[0]!);
      for (let partition = 0; partition < n; partition++) {
        const task = p.createTask({
          partition,
          partitionsOf: (t) => this.#partitions(t),
          inputPartitions: n,
          now: () => this.#now,
          ...(this.#o.log ? { log: this.#o.log } : {}),
        });
        for (const store of p.stores) {
          for (const [key, [json, exp]] of this.#committed.state.get(store)?.get(partition) ?? []) {
            task.restoreEntry(store, key, JSON.parse(json), exp);
          }
        }
        task.start();
        tasks.set(partition, task);
      }
      this.#tasks.set(p, tasks);
    }
  }

  #append(topic: string, r: TestInput | OutgoingRecord): StreamRecord {
    const n = this.#partitions(topic);
    const key = r.key ?? null;
    const explicit = (r as OutgoingRecord).partition;
    const partition = explicit ?? (key === null ? 0 : partitionForKey(key, n));
    const k = `${topic}/${partition}`;
    const offset = this.#offsets.get(k) ?? 0;
    this.#offsets.set(k, offset + 1);
    return {
      topic,
      partition,
      offset,
      key,
      value: r.value,
      timestamp: r.timestamp ?? this.#now,
      headers: r.headers ?? {},
    };
  }

  #run(queue: StreamRecord[], idle: (t: ProcessorTask) => void, only?: TaskProcessor): void {
    let first = true;
    while (queue.length > 0 || first) {
      const batch = queue.splice(0);
      for (const p of this.#processors) {
        const tasks = this.#tasks.get(p)!;
        for (const r of batch) if (p.inputs.includes(r.topic)) tasks.get(r.partition)?.process(r);
        for (const t of tasks.values()) {
          if (first && (only === undefined || only === p)) idle(t);
          const c = t.takeCommit();
          for (const s of c.state) {
            const byPart =
              this.#committed.state.get(s.store) ?? new Map<number, Map<string, [string, number | undefined]>>();
            this.#committed.state.set(s.store, byPart);
            const entries = byPart.get(s.partition) ?? new Map<string, [string, number | undefined]>();
            byPart.set(s.partition, entries);
            for (const ch of s.changes) {
              if (ch.value === undefined) entries.delete(ch.key);
              else entries.set(ch.key, [JSON.stringify(ch.value), ch.expiresAt]);
            }
          }
          for (const [topic, records] of c.outputs) {
            for (const out of records) {
              const rec = this.#append(topic, out);
              this.#outputs.push({ ...rec, topic });
              if (this.#processors.some((q) => q.inputs.includes(topic))) queue.push(rec);
            }
          }
        }
      }
      first = false;
    }
  }
}

/**
 * A misspelt topic or store name: a test piping to it, or reading it, passed while checking nothing (an
 * empty list, an empty map). Refused, with the name it is likely a slip of.
 */
function unknown(call: string, name: string, why: string, known: Set<string>): RunnelError {
  const slip = slipOf(name, known);
  const listed = [...known].filter((k) => !k.endsWith('.dlq') && !k.endsWith('.late')).sort();
  return new RunnelError(
    ErrorCodes.CONFIG_INVALID,
    `TestDriver.${call}("${name}"): ${why}${slip ? ` (did you mean "${slip}"?)` : ''}; known: ${listed.join(', ')}`,
    { value: name },
  );
}
