import type { RunnelError } from './errors.ts';
import type { Logger } from './log.ts';
import type { OutgoingRecord, StreamRecord, TopicPartitionOffset } from './record.ts';

/** One item a source read: a record to produce, or input it could not parse (goes to `<topic>.dlq`). */
export type SourceItem =
  /** `position`: where in the input the record came from (file:line, topic/partition/offset), for dead letters. */
  | { kind: 'record'; record: OutgoingRecord; position?: string }
  | { kind: 'invalid'; error: RunnelError; raw: string; position: string };

export interface SourceContext {
  signal: AbortSignal;
  log: Logger;
  /**
   * Where the records go: the runnel topic and its TopicInfo.id, which names that topic on that broker
   * (a URL would not: a relative `local:` path, `localhost` vs `127.0.0.1`). A source that keeps a position
   * outside runnel (a Kafka group) keeps one per destination, so a second data folder imports everything.
   */
  destination?: { topic: string; id?: string };
}

/**
 * Puts records on a topic. `read` yields batches until the input ends (or forever when it follows a
 * file or polls an API). Pacing (`rate`, `speed`) belongs to the source; the runtime applies `--limit`.
 */
export interface Source {
  readonly name: string;
  read(ctx: SourceContext): AsyncIterable<SourceItem[]>;
  close?(): Promise<void>;
  /** Total records when known ahead (a finite file), for progress display. */
  expectedCount?(): number | undefined;
}

export interface SinkContext {
  signal: AbortSignal;
  log: Logger;
}

/** Records a sink refused one by one (wrong shape for a table, …); they go to the dead-letter topic. */
export interface SinkWriteResult {
  rejected?: Array<{ record: StreamRecord; error: RunnelError }>;
}

/**
 * Reads one topic and writes it elsewhere. `write` must be durable when it resolves: only then does the
 * runtime commit the offset (at-least-once). A sink that can keep the consumed positions with its output
 * implements `storedPositions` and stores `positions` in the same transaction as the rows (exactly-once):
 * on restart the runtime resumes from those positions, not from the group's commits.
 */
export interface Sink {
  readonly name: string;
  /** Where it writes, for humans (a file path, a table). */
  readonly target: string;
  open(ctx: SinkContext): Promise<void>;
  write(records: StreamRecord[], positions: TopicPartitionOffset[]): Promise<SinkWriteResult | undefined>;
  storedPositions?(): Promise<TopicPartitionOffset[]>;
  /** Quick check that the target is reachable and writable (`runnel verify`). */
  verify?(): Promise<void>;
  close(): Promise<void>;
}

export interface ProcessorContext {
  /** Queues a record for an output topic; produced durably before the input offsets are committed. */
  emit(topic: string, record: OutgoingRecord): void;
  log: Logger;
}

/**
 * Reads topics, keeps state, writes topics. State must be a JSON-serialisable snapshot: the runtime stores
 * it with the consumed offsets in one transaction after each batch, so a restart resumes exactly.
 * Throwing from `process` sends that record to `<topic>.dlq`; the pipeline continues.
 */
export interface Processor<S = unknown> {
  readonly name: string;
  readonly inputs: string[];
  readonly outputs: string[];
  process(record: StreamRecord, ctx: ProcessorContext): void;
  /** Called after each polled batch (e.g. to emit a stats record once per batch, not per record). */
  flush?(ctx: ProcessorContext): void;
  snapshot(): S;
  restore(state: S): void;
}
