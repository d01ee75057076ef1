import type { RunnelError } from '../../src/core/errors.ts';
import { silentLogger } from '../../src/core/log.ts';
import type { OutgoingRecord } from '../../src/core/record.ts';
import type { EngineRecord, Operator, OperatorSpec, TaskContext } from '../../src/processing/engine/operator.ts';
import { StoreState } from '../../src/processing/state/store-state.ts';

/** What a commit made durable: the stores as JSON (as a backend would write them) and the watermark clock. */
export interface FakeCheckpoint {
  stores: Record<string, [string, string][]>;
  maxSeen: number;
  watermark: number;
  position: number;
}

/**
 * A task in miniature, for operator tests: in-memory StoreStates, a watermark = (max event time seen −
 * outOfOrderness) advanced after every record with onWatermark called, flush at the end of each batch,
 * and a "commit" that JSON round-trips every store, so a restore sees exactly what a backend would give.
 * Collects what the operator emits, sends late and dead-letters.
 */
export class FakeTask implements TaskContext {
  readonly partition = 0;
  readonly log = silentLogger;
  watermark = Number.NEGATIVE_INFINITY;
  readonly emitted: EngineRecord[] = [];
  /** For each emitted record, how many input records had been processed: shows when a window closed. */
  readonly emittedAt: number[] = [];
  position = 0;
  readonly lateRecords: { record: EngineRecord; reason: string }[] = [];
  readonly deadLetters: { record: EngineRecord; error: RunnelError }[] = [];
  readonly outputs: { topic: string; record: OutgoingRecord }[] = [];
  unjoinedCount = 0;
  clock = 0;
  #maxSeen = Number.NEGATIVE_INFINITY;
  readonly #stores = new Map<string, StoreState>();
  readonly #operator: Operator;
  readonly #outOfOrderness: number;
  readonly #emit = (r: EngineRecord): void => {
    this.emitted.push(r);
    this.emittedAt.push(this.position);
  };

  constructor(spec: OperatorSpec, outOfOrderness: number, from?: FakeCheckpoint) {
    this.#outOfOrderness = outOfOrderness;
    for (const s of spec.stores ?? []) {
      const store = new StoreState(s.name, this.partition, s.ttlMs);
      for (const [key, json] of from?.stores[s.name] ?? []) store.load(key, JSON.parse(json), undefined);
      this.#stores.set(s.name, store);
    }
    if (from) {
      this.#maxSeen = from.maxSeen;
      this.position = from.position;
      this.watermark = from.watermark;
    }
    this.#operator = spec.create();
    this.#operator.init?.(this);
  }

  now(): number {
    return this.clock;
  }

  unjoined(): void {
    this.unjoinedCount++;
  }

  store(name: string): StoreState {
    const s = this.#stores.get(name);
    if (!s) throw new Error(`store ${name} was not declared by the operator`);
    return s;
  }

  output(topic: string, record: OutgoingRecord): void {
    this.outputs.push({ topic, record });
  }

  deadLetter(record: EngineRecord, error: RunnelError): void {
    this.deadLetters.push({ record, error });
  }

  late(record: EngineRecord, reason: string): void {
    this.lateRecords.push({ record, reason });
  }

  /** One batch: every record, the watermark after each, then flush and commit. */
  runBatch(records: EngineRecord[]): void {
    for (const r of records) {
      this.clock++;
      this.#operator.process(r, this, this.#emit);
      this.position++;
      this.#maxSeen = Math.max(this.#maxSeen, r.timestamp);
      this.#advance(this.#maxSeen - this.#outOfOrderness);
    }
    this.#operator.flush?.(this, this.#emit);
  }

  /** Moves the watermark on without records (end of input, an idle partition). */
  advanceWatermark(to: number): void {
    this.#advance(to);
    this.#operator.flush?.(this, this.#emit);
  }

  /** Commits: takes every store's changes (as the backend does) and returns the durable state. */
  checkpoint(): FakeCheckpoint {
    const stores: FakeCheckpoint['stores'] = {};
    for (const [name, s] of this.#stores) {
      s.takeChanges();
      stores[name] = [...s.entries()].map(([k, v]) => [k, JSON.stringify(v)]);
    }
    return { stores, maxSeen: this.#maxSeen, watermark: this.watermark, position: this.position };
  }

  storeSize(name: string): number {
    return this.store(name).size;
  }

  #advance(to: number): void {
    if (!(to > this.watermark)) return;
    this.watermark = to;
    this.#operator.onWatermark?.(to, this, this.#emit);
  }
}

/** Runs records through an operator in the given batch sizes, restoring from a checkpoint at each `restoreAfter` batch. */
export function runOperator(
  spec: OperatorSpec,
  records: EngineRecord[],
  options: { outOfOrderness: number; batches?: number[]; restoreAfter?: Set<number>; endWatermark?: number },
): {
  emitted: EngineRecord[];
  emittedAt: number[];
  late: FakeTask['lateRecords'];
  dead: FakeTask['deadLetters'];
  task: FakeTask;
} {
  let task = new FakeTask(spec, options.outOfOrderness);
  const emitted: EngineRecord[] = [];
  const emittedAt: number[] = [];
  const late: FakeTask['lateRecords'] = [];
  const dead: FakeTask['deadLetters'] = [];
  const drain = () => {
    emitted.push(...task.emitted.splice(0));
    emittedAt.push(...task.emittedAt.splice(0));
    late.push(...task.lateRecords.splice(0));
    dead.push(...task.deadLetters.splice(0));
  };
  let at = 0;
  let batch = 0;
  const sizes = options.batches ?? [1];
  while (at < records.length) {
    const n = Math.max(1, sizes[batch % sizes.length]!);
    task.runBatch(records.slice(at, at + n));
    at += n;
    drain();
    const cp = task.checkpoint();
    if (options.restoreAfter?.has(batch)) task = new FakeTask(spec, options.outOfOrderness, cp);
    batch++;
  }
  if (options.endWatermark !== undefined) {
    task.advanceWatermark(options.endWatermark);
    drain();
  }
  return { emitted, emittedAt, late, dead, task };
}
