import type { RunnelError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import type { OutgoingRecord } from '../../core/record.ts';
import type { StoreState } from '../state/store-state.ts';

/** A record inside the engine: what operators see and hand on. `timestamp` is its event time (ms). */
export interface EngineRecord<V = unknown> {
  key: string | null;
  value: V;
  timestamp: number;
  headers: Record<string, string>;
  /** Where the record that caused it was read: named in dead letters and late records. */
  origin: { topic: string; partition: number; offset: number };
}

/** Hands a record to the next operator(s). */
export type Emit = (record: EngineRecord) => void;

/**
 * What an operator may touch while a task runs it: its stores (this partition's), the task's clock and
 * watermark, and the side outputs. Everything it emits or changes is committed atomically with the
 * input positions after the batch.
 */
export interface TaskContext {
  /** The input partition this task owns (its stores hold the keys of this partition). */
  readonly partition: number;
  /**
   * Event time below which no more records are expected: the minimum over the task's input partitions
   * of (highest event time seen − allowed out-of-orderness), idle partitions excepted. -Infinity at first.
   */
  readonly watermark: number;
  /** Processing time: the wall clock, or the test driver's virtual clock. */
  now(): number;
  /** Messages for the person running the pipeline (stderr in the CLI). A replayed batch logs again. */
  readonly log: Logger;
  /** This partition's part of a store the operator declared (see OperatorSpec.stores). */
  store(name: string): StoreState;
  /** Writes a record to a topic as part of this batch's atomic commit. */
  output(topic: string, record: OutgoingRecord): void;
  /** Sends the record that caused a failure to `<its topic>.dlq` with the reason. */
  deadLetter(record: EngineRecord, error: RunnelError): void;
  /** Sends a record that arrived after its window closed to `<its topic>.late` with the reason. */
  late(record: EngineRecord, reason: string): void;
  /** Counts a stream record an inner join dropped, its key holding no table value (status `unjoined`). */
  unjoined(): void;
}

/** A store an operator needs: created per partition, restored on assignment, committed by changed keys. */
export interface StoreSpec {
  name: string;
  ttlMs?: number;
}

/** A step of a task's dataflow. Operators are plain objects; their state lives only in stores. */
export interface Operator {
  /** Called once per task after its stores are restored: rebuild any in-memory index from them here. */
  init?(ctx: TaskContext): void;
  process(record: EngineRecord, ctx: TaskContext, emit: Emit): void;
  /** Called at the end of every batch, before the commit (coalesced early results go out here). */
  flush?(ctx: TaskContext, emit: Emit): void;
  /**
   * Called when the task's watermark advanced (closing windows, timers); `emit` as in process. The task
   * advances its watermark after every record, so results never depend on how input was batched (a
   * replay after a crash batches differently).
   */
  onWatermark?(watermark: number, ctx: TaskContext, emit: Emit): void;
}

/** How an operator is declared in a topology: built once per task, so it may keep per-task caches. */
export interface OperatorSpec {
  /** Shown in errors and on the dashboard. */
  name: string;
  stores?: StoreSpec[];
  /** Set when the step is right only on an input of one partition: why (a task on more refuses to start). */
  singlePartition?: string;
  /** Topics it writes besides its stream (a process step's declared `outputs`, for its emitTo). */
  sideOutputs?: string[];
  create(): Operator;
}
