import type { ProcessorTask, TaskProcessor } from '../../core/connector.ts';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import type { Node, Subtopology } from './graph.ts';
import { Task, taskClockStore } from './task.ts';

export interface EngineProcessorOptions {
  app: string;
  sub: Subtopology;
  storeName(node: Node, local: string): string;
}

/** A subtopology as the runtime sees it: a processor that runs one task per input partition. */
export class EngineProcessor implements TaskProcessor {
  readonly kind = 'tasks' as const;
  readonly name: string;
  readonly inputs: string[];
  readonly outputs: string[];
  readonly internalTopics: Record<string, { partitions?: number }> = {};
  readonly stores: string[];
  readonly bookkeepingStores: string[];
  readonly checkedInputs: string[];
  readonly readsCopies: boolean;
  readonly tableInputs: string[];
  readonly #o: EngineProcessorOptions;

  constructor(o: EngineProcessorOptions) {
    this.#o = o;
    const ops = o.sub.nodes.filter((n) => n.kind === 'op');
    // Named after its one operator, or its one stateful operator (a keyBy before it adds no state).
    const stateful = ops.filter((n) => n.kind === 'op' && (n.spec.stores?.length ?? 0) > 0);
    const named = ops.length === 1 ? ops[0] : stateful.length === 1 ? stateful[0] : undefined;
    this.name = named?.kind === 'op' ? `${o.app}.${named.spec.name}` : `${o.app}.sub-${o.sub.index}`;
    this.inputs = o.sub.inputs;
    this.checkedInputs = [
      ...new Set(o.sub.nodes.flatMap((n) => (n.kind === 'source' && n.decoding.schema ? [n.topic] : []))),
    ];
    // Every way in parses with a schema (the task copies a value a schema hands back as it is). A topic
    // that carries an upstream's watermark (stopcovid's status loop) counts among the repartition inputs
    // for its watermarks, but a schema reads it like any other: its readers need no copy of their own.
    const sources = o.sub.nodes.filter((n) => n.kind === 'source');
    // (A subtopology's inputs are its sources' topics: every input is read by one of these.)
    this.readsCopies =
      sources.length > 0 &&
      sources.every((n) => n.kind === 'source' && !n.repartition && n.decoding.schema !== undefined);
    // A topic only `t.table` reads (every way in is a table's): the task's stream waits for it.
    const readers = (topic: string) => sources.filter((n) => n.kind === 'source' && n.topic === topic);
    this.tableInputs = this.inputs.filter((topic) => {
      const r = readers(topic);
      return r.length > 0 && r.every((n) => n.kind === 'source' && n.decoding.table === true);
    });
    this.outputs = o.sub.outputs;
    this.bookkeepingStores = [taskClockStore(o.sub)];
    this.stores = [
      taskClockStore(o.sub),
      ...ops.flatMap((n) => (n.kind === 'op' ? (n.spec.stores ?? []).map((s) => o.storeName(n, s.name)) : [])),
    ];
  }

  /** The subtopology this processor runs (for the test driver and the dashboard). */
  get subtopology(): Subtopology {
    return this.#o.sub;
  }

  createTask(t: {
    partition: number;
    partitionsOf(topic: string): number;
    inputPartitions: number;
    now(): number;
    log?: Logger;
  }): ProcessorTask {
    for (const n of this.#o.sub.nodes) {
      if (n.kind !== 'op' || n.spec.singlePartition === undefined || t.inputPartitions <= 1) continue;
      throw new RunnelError(
        ErrorCodes.CONFIG_INVALID,
        `${this.name}: ${n.spec.singlePartition}, but ${this.inputs.join(', ')} has ${t.inputPartitions} partitions`,
      );
    }
    const task = new Task({
      app: this.#o.app,
      name: this.name,
      sub: this.#o.sub,
      storeName: this.#o.storeName,
      copyInputs: this.readsCopies,
      ...t,
    });
    return {
      partition: task.partition,
      get watermark() {
        return task.watermark;
      },
      get timed() {
        return task.timed;
      },
      counters: task.counters,
      restoreEntry: (store, key, value, expiresAt) => task.stores.get(store)?.load(key, value, expiresAt),
      start: () => task.start(),
      process: (r, now) => task.process(r, now),
      tick: () => task.tick(),
      endOfInput: () => task.endOfInput(),
      takeCommit: () => task.takeCommit(),
    };
  }
}
