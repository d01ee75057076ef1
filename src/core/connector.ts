import type { StoreChanges } from './broker.ts';
import type { RunnelError } from './errors.ts';
import type { Logger } from './log.ts';
import type { OutgoingRecord, StreamRecord, TopicPartitionOffset } from './record.ts';
import type { Pacing, ReplayControl } from './replay-control.ts';

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
  /**
   * Pause and speed, set from the dashboard, for a source whose `pacing()` says it paces: its pacer waits
   * on it (see Pacer). Absent when nothing controls the run (a test reading a source directly).
   */
  control?: ReplayControl;
  /**
   * The values of the newest record of each partition of the destination ([] for a new topic): a source
   * whose input it can regenerate (a simulation) goes on after what an earlier run put there, instead of
   * producing it again for the pipeline to drop.
   */
  newest?: () => Promise<unknown[]>;
  /**
   * The marks (see Source.runMark) on the newest records of each partition of the destination that carry
   * one, looked for at most `within` offsets back from each partition's end ([] when none does): what a
   * source needs to go on exactly where an earlier run stopped (a simulation's seed and settings).
   */
  runMarks?: (within: number) => Promise<string[]>;
  /**
   * How many items from the start of its input an earlier run already made durable, for a source that says
   * what it replays (see Source.replay): the source leaves out that many before it paces. 0 or absent: all.
   */
  skip?: number;
}

/**
 * The fixed input a source replays (a file): `input` names it (its absolute path), `bytes` is its size now.
 * A later run goes on after what an earlier one made durable; a file smaller than when it was read was
 * replaced, and is replayed from its start.
 */
export interface ReplayInput {
  input: string;
  bytes: number;
}

/**
 * Puts records on a topic. `read` yields batches until the input ends (or forever when it follows a
 * file or polls an API). Pacing (`rate`, `speed`) belongs to the source; the runtime applies `--limit`.
 */
export interface Source {
  readonly name: string;
  /**
   * True when every record's value is a new object the source keeps no hold of and never changes (parsed
   * from a line, built per record). The local broker then hands those very objects to this process's
   * readers instead of copying each for them, a tenth of a run into SQLite. Leave it out when a source
   * yields an object it goes on using (a reused buffer, a cached document): a reader would see it change.
   */
  readonly handsOver?: boolean;
  read(ctx: SourceContext): AsyncIterable<SourceItem[]>;
  /**
   * Called once before any of the run's processors and sinks starts (`run`), or before read (`produce`),
   * with the context read gets: a source that goes on with what an earlier run put on its topic reads it
   * here, and throws to refuse a run that cannot go on with it, before anything of this run reads or writes.
   */
  prepare?(ctx: SourceContext): Promise<void>;
  /**
   * What a later run must know to go on with this one exactly (a simulation's seed and settings, an API's
   * page), asked at each batch with how many of its items the runtime handles (all of them, unless `--limit`
   * cut it): the runtime puts it (header RUN_HEADER) on the batch's last record of each partition, after
   * the batch's dead letters and (on a broker that writes a call in several requests, Kafka) after the rest
   * of its records, so the newest records of every partition carry it, on either broker, and no mark stands
   * for records a kill -9 lost. The next run reads it back through SourceContext.runMarks.
   */
  runMark?(handled: number): string | undefined;
  close?(): Promise<void>;
  /**
   * Called by the runtime after it made the first `handled` items of the last batch durable (produced, or
   * dead-lettered), before it asks for the next batch; `handled` is below the batch's length only when
   * `--limit` cut the batch. A source that keeps its own position (the http source's page or cursor) stores
   * it here, so a stop at the limit neither repeats nor skips. A crash between the produce and this call
   * repeats that batch, unless the source also carries its position in its run mark (see runMark).
   * `good`: how many of those items went onto the topic as records; the rest were dead letters, refused by
   * the source itself, a wrapper of it, or the binding's schema, which only the runtime sees all of. A
   * source polling an API backs off a batch with records none of which was good (see the http source).
   * Undefined from a driver that does not say.
   */
  committed?(handled: number, good?: number): Promise<void> | void;
  /** Total records when known ahead (a finite file), for progress display. */
  expectedCount?(): number | undefined;
  /**
   * How it paces (replay by event time × speed, or a fixed rate), or undefined when it runs as fast as it
   * can or follows its input: a source that paces can be paused and sped up from the dashboard.
   */
  pacing?(): Pacing | undefined;
  /**
   * What it replays, when it reads a fixed input a later run should go on with instead of reading it all
   * again (a file replayed once, not looped or followed). The runtime then keeps how many items it handled on
   * the topic itself (REPLAY_HEADER on each batch's last record, and on its last dead letter), and passes
   * that count to the next run's read() as ctx.skip. Absent: every run reads the input from its start.
   */
  replay?(): ReplayInput | undefined;
  /**
   * It goes on in a later run after what it put on its topic (a simulation that resumes from its newest
   * tick, see SourceContext.newest), as a replay does: a run that `--limit` cuts leaves its input open, so
   * the windows stay open for the next run instead of closing for good and sending all it adds to `.late`.
   */
  readonly resumes?: boolean;
  /**
   * A sentence to add where a `--limit` cut it (a resuming source, see `resumes`), given the records this
   * run produced: what the cut means that the generic line cannot say (a simulation's tick cut short,
   * whose results come only once all of it is in). Undefined: nothing to add.
   */
  cutNote?(produced: number): string | undefined;
}

export interface SinkContext {
  signal: AbortSignal;
  log: Logger;
}

/** Records a sink refused one by one (wrong shape for a table, …); they go to the dead-letter topic. */
export interface SinkWriteResult {
  rejected?: Array<{ record: StreamRecord; error: RunnelError }>;
}

/** What the runtime gives a sink's write besides the batch. */
export interface SinkWriteOptions {
  /**
   * Writes records the sink refuses to `<topic>.dlq`, durably, and resolves once they are there. A sink that
   * keeps its positions with its output calls it with everything it refuses before it commits the batch:
   * a crash can then never leave the batch stored and its dead letters lost (a crash in between leaves them
   * written twice at worst: the restart writes the batch, and refuses them, again). When it throws, the sink
   * commits nothing of the batch and throws too; the runtime tries the whole batch again. Refusals the sink
   * does not hand it are written from `rejected` after the write, where a crash in between loses them.
   */
  deadLetters?(rejected: NonNullable<SinkWriteResult['rejected']>): Promise<void>;
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
  /** The local file it writes, if any: checked at start-up (checkPlaces), before any source writes. */
  readonly file?: string;
  /** The columns a user configured, if any: a slip of a field's name is said at the first batch. */
  readonly columnNames?: string[] | undefined;
  open(ctx: SinkContext): Promise<void>;
  write(
    records: StreamRecord[],
    positions: TopicPartitionOffset[],
    options?: SinkWriteOptions,
  ): Promise<SinkWriteResult | undefined>;
  storedPositions?(): Promise<TopicPartitionOffset[]>;
  /**
   * Quick check that the target is reachable and writable (`runnel verify`), changing nothing: a running
   * pipeline may be writing it at the same time.
   */
  verify?(): Promise<void>;
  /**
   * The positions kept with the output, read without opening it for writing (`runnel verify`, while a
   * pipeline may hold it); undefined when they cannot be read that way now (the file is locked).
   */
  peekPositions?(): Promise<TopicPartitionOffset[] | undefined>;
  close(): Promise<void>;
}

/** What a task hands its runner after a batch: outputs and the keys its stores changed. */
export interface TaskCommit {
  outputs: Map<string, OutgoingRecord[]>;
  state: StoreChanges[];
}

/** One partition's share of a stateful processor (see TaskProcessor). */
export interface ProcessorTask {
  readonly partition: number;
  /** Event time below which no more input is expected (-Infinity at first). */
  readonly watermark: number;
  /** Its operators act on the watermark (windows, timers). */
  readonly timed?: boolean;
  readonly counters: { records: number; late: number; dlq: number; unjoined?: number };
  /** Loads one committed entry of a store before `start` (restore). */
  restoreEntry(store: string, key: string, value: unknown, expiresAt: number | undefined): void;
  start(): void;
  /**
   * `now`: the processing time the record counts as read at (its runner reads the clock once per poll);
   * default the task's own clock.
   */
  process(record: StreamRecord, now?: number): void;
  /** Processing time passed with no input. */
  tick(): void;
  /** The input ended for good: windows close. False when it had ended already. */
  endOfInput(): boolean;
  takeCommit(): TaskCommit;
}

/** A window operator's store is `<operator>.windows` (the engine names it; the CLI asks whether an app keeps any). */
export const WINDOW_STORE_SUFFIX = '.windows';

/**
 * A processor of the engine: a piece of dataflow that runs as one task per input partition, each with
 * its own keyed state. Its runner commits a batch's outputs, state changes and input positions
 * atomically through the broker's StateBackend, so state scales out with the partitions and a crash or
 * a rebalance repeats nothing.
 */
export interface TaskProcessor {
  readonly kind: 'tasks';
  readonly name: string;
  readonly inputs: string[];
  readonly outputs: string[];
  /** Repartition topics it reads or writes, created with the app's topics. */
  readonly internalTopics: Record<string, { partitions?: number }>;
  /** Full names of its stores (`<operator>.<store>`). */
  readonly stores: string[];
  /** Those of `stores` that hold its own bookkeeping (the watermark), not state by key: not counted as keys. */
  readonly bookkeepingStores?: string[];
  /** Inputs whose records it checks against a schema, dead-lettering the misfits itself. */
  readonly checkedInputs?: string[];
  /**
   * Every record it reads becomes a value of its own (the inputs' schemas parse each into a new one)
   * before any step sees it, so it never changes what it reads: the process may hand it the decoded
   * batches its sinks share (ConsumerOptions.readOnly) instead of decoding each batch again for it.
   */
  readonly readsCopies?: boolean;
  /**
   * Inputs read as tables (the latest value per key, for joins). A task that reads a stream beside them
   * processes the stream's records once the tables are read to their ends (see HeldStream).
   */
  readonly tableInputs?: string[];
  createTask(o: {
    partition: number;
    partitionsOf(topic: string): number;
    inputPartitions: number;
    now(): number;
    /** Where operators' messages go (the CLI's stderr); default: nowhere. */
    log?: Logger;
  }): ProcessorTask;
}
