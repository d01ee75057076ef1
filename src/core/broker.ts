import { backoffMs, sleep } from './backoff.ts';
import type { OutgoingRecord, RecordPosition, StreamRecord, TopicPartitionOffset } from './record.ts';
import { type RetryOptions, retrying } from './retry.ts';

export interface TopicConfig {
  /** Number of partitions when the topic is created (default 1). Never shrinks an existing topic. */
  partitions?: number;
  /** Delete records older than this (ms). Undefined = broker default. */
  retentionMs?: number;
  /** Keep at most this many bytes per partition. Undefined = unlimited. */
  retentionBytes?: number;
  /** Replication factor, honoured by brokers that replicate (kafka). */
  replicationFactor?: number;
}

export interface PartitionInfo {
  partition: number;
  /** First offset still held (after retention). */
  startOffset: number;
  /** Offset the next record will get (the "high watermark"). */
  endOffset: number;
}

export interface TopicInfo {
  name: string;
  /**
   * This topic on this broker, distinct from a topic of the same name on another broker or deleted and
   * created again (Kafka's topic id; the local broker's file id + topic row). Output that remembers it
   * can tell its positions do not belong to the topic now in front of it.
   */
  id?: string;
  partitions: PartitionInfo[];
  retentionMs?: number;
  retentionBytes?: number;
}

export interface GroupOffset {
  group: string;
  topic: string;
  partition: number;
  /** Next offset the group will read. */
  committed: number;
  endOffset: number;
  lag: number;
}

/** 'committed': the group's committed offset once no commit of it is in flight (else where startFrom says). */
export type SeekTarget = number | 'beginning' | 'end' | 'committed';

export interface ConsumerOptions {
  group: string;
  topics: string[];
  /** Where to start on partitions with no committed offset (default 'beginning', as the seeds' `earliest`). */
  startFrom?: 'beginning' | 'end';
  /** Client id shown in group listings. */
  clientId?: string;
  /**
   * Where to start a partition each time it is assigned to this member (at join and after every
   * rebalance), overriding the group's committed offset; undefined falls back to it. Exactly-once sinks
   * keep their positions with their output, and a partition that moves away and back must resume from
   * there, not from the group commit (which lags the sink's own store): Kafka's onPartitionsAssigned + seek.
   */
  positionOnAssign?: (topic: string, partition: number) => SeekTarget | undefined;
  /**
   * A subscribed topic deleted and created again (its TopicInfo.id changed, as the seeds' producers do at
   * every start) is another stream, and offsets in the old one mean nothing in it. 'read-new' (default)
   * reads the new topic from its beginning (see TopicIdentity). 'fail' makes poll throw
   * TOPIC_RECREATED before any record of the new topic is handed out: for callers whose output holds
   * positions in the old one (exactly-once sinks, processors' saved state).
   */
  onRecreatedTopic?: 'read-new' | 'fail';
  /**
   * The caller never changes the records it reads, neither their fields nor what they hold (runnel's own
   * sinks, and steps that copy what they keep): a broker may then hand the very same record objects to
   * several such consumers of one process instead of decoding and building a batch for each.
   */
  readOnly?: boolean;
  /** The TopicInfo.id each topic had when the caller's output was checked, so a change before the first poll counts. */
  topicIds?: ReadonlyMap<string, string>;
}

export interface PollOptions {
  maxRecords?: number;
  /** How long to wait for records when none are ready (default 500 ms). */
  maxWaitMs?: number;
  signal?: AbortSignal;
}

/** A partition a consumer owns (see Consumer.assignment). */
export interface Ownership {
  topic: string;
  partition: number;
  /**
   * Names this member's unbroken ownership of the partition (Kafka: the generation it began in; local: a
   * number per ownership). Another value later means it was lost and dealt back in between.
   */
  since?: number;
}

/**
 * A task's ownership of its partition: the latest `since` over its input topics (-1: none told), so a task
 * reading several topics compares one number with one number, and any of them lost and dealt back moves it.
 */
export function sinceOf(owned: Iterable<{ partition: number; since?: number }>, partition: number): number {
  let since = -1;
  for (const a of owned) if (a.partition === partition && (a.since ?? -1) > since) since = a.since ?? -1;
  return since;
}

export interface Consumer {
  /** Records from the assigned partitions, in offset order per partition; [] after maxWaitMs. */
  poll(options?: PollOptions): Promise<StreamRecord[]>;
  /** Commit positions (next offset to read) for the group. Never call before the output is durable. */
  commit(offsets: TopicPartitionOffset[]): Promise<void>;
  /** Move the read position of one partition; takes effect on the next poll. */
  seek(topic: string, partition: number, target: SeekTarget): void;
  /**
   * The partitions this member owns now (changes on rebalance). `since`, where the broker can tell, names
   * the start of this member's unbroken ownership: it changes when the partition was lost and given back
   * (another member may have read and committed it meanwhile), so what was built on it before is stale.
   */
  assignment(): Array<Ownership>;
  /**
   * The partitions owned as last seen, when `assignment` itself does more than look (the local broker's
   * heartbeats and rebalances, a write): for a caller that asks often and can be a poll late.
   */
  knownAssignment?(): Array<Ownership>;
  /**
   * Tells the group this member lives without looking at the assignment, where only a poll does (the local
   * broker): called between the restores of a long takeover, so the group does not drop the member for it.
   */
  keepAlive?(): void;
  /**
   * The next offset poll will hand out for a partition, past what the broker skips without handing it out
   * (Kafka's transaction markers and aborted records); undefined while unknown (not owned, just seeked).
   * A consumer that read everything up to a marker must commit past it, or it never catches up with the
   * partition's end. Brokers without such gaps need not implement it.
   */
  position?(topic: string, partition: number): number | undefined;
  close(): Promise<void>;
}

/**
 * Where topics live. Everything above the broker uses only this interface, so the same app runs on
 * `local:` and `kafka://` with only the URL changed.
 */
export interface Broker {
  readonly url: string;
  readonly kind: string;
  /**
   * Whether every offset holds a record, so end minus start offsets counts records. False on Kafka: each
   * transaction's commit marker takes an offset (a trial read 1,375 offsets holding 1,210 records).
   */
  readonly offsetsAreRecords: boolean;
  /** Connects (or opens the file); fails fast with BROKER_UNAVAILABLE naming the address. */
  connect(): Promise<void>;
  close(): Promise<void>;
  /** Idempotent: creating an existing topic is a no-op (it may grow its partitions). */
  createTopic(name: string, config?: TopicConfig): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  listTopics(): Promise<TopicInfo[]>;
  /** Undefined when the topic does not exist. */
  describeTopic(name: string): Promise<TopicInfo | undefined>;
  /**
   * Appends records; resolves once they are durable. Creates the topic on demand. A broker that writes
   * in several requests says on failure how many leading records it knows are durable (`writtenBefore`),
   * so a retry does not send them again. The request that failed is at-least-once: on a cluster of
   * several brokers, its records for partitions on the brokers that answered may be written twice.
   */
  produce(topic: string, records: OutgoingRecord[], options?: ProduceOptions): Promise<RecordPosition[]>;
  /**
   * True when one produce call's records are durable all together or not at all (the local broker: one
   * transaction). A caller whose last record vouches for those before it (a replay's mark) can then send them
   * in one call; otherwise it sends that record once the others are acknowledged.
   */
  readonly atomicProduce?: boolean;
  consumer(options: ConsumerOptions): Consumer;
  /** Committed offsets and lag of every group (or one). */
  listGroups(group?: string): Promise<GroupOffset[]>;
  /** Reads records without a group, e.g. for `tail` and the dashboard's history. */
  read(topic: string, partition: number, fromOffset: number, maxRecords: number): Promise<StreamRecord[]>;
  /**
   * Kafka's DeleteRecords: the partition's records before `offset` need not be kept. Processors call it on
   * the repartition topics only they read, once they have committed past them, as Kafka Streams purges its
   * own; a broker without it keeps them until retention.
   */
  deleteRecordsBefore?(topic: string, partition: number, offset: number): Promise<void>;
  /**
   * Whether some write to these topics is committed or under way but not visible to readers yet (Kafka
   * acknowledges a transaction before its markers land). A drain waiting for topics to stop growing asks
   * it; a broker whose writes are visible once acknowledged leaves it out.
   */
  pendingWrites?(topics: string[]): Promise<boolean>;
}

export interface ProduceOptions {
  /**
   * The caller keeps no hold of the records' values and never changes them (see Source.handsOver): a broker
   * that keeps what it appends decoded for its readers may keep these objects rather than copies.
   */
  handOver?: boolean;
}

export type BrokerFactory = (url: string) => Broker | Promise<Broker>;

/** A produce that failed after its first `written` records were durable (see Broker.produce). */
export function withWritten<E extends Error>(err: E, written: number): E {
  return Object.assign(err, { written });
}

/** How many leading records of a failed produce are durable: 0 unless the broker said so. */
export function writtenBefore(err: unknown): number {
  const n = (err as { written?: unknown } | null)?.written;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 0;
}

/**
 * Produces a batch through broker outages: retried with backoff (the status says `retrying` and why)
 * until it is durable or `retry.signal` stops it. A retry sends only what the broker has not acknowledged.
 */
export async function produceAll(
  broker: Broker,
  topic: string,
  records: OutgoingRecord[],
  what: string,
  retry: RetryOptions,
  options?: ProduceOptions,
): Promise<void> {
  let written = 0;
  if (records.length === 0) return;
  await retrying(
    what,
    async () => {
      try {
        await broker.produce(topic, written === 0 ? records : records.slice(written), options);
        written = records.length;
      } catch (err) {
        written += writtenBefore(err);
        throw err;
      }
    },
    retry,
  );
}

/**
 * The newest record of each partition of `topic` that `match` accepts, looked for back from the partition's
 * end `step` offsets at a time and at most `limit` offsets back: the newest offsets may hold what else
 * writes the topic, or Kafka's transaction markers. Partitions with none in reach give nothing.
 */
export async function newestMatching(
  broker: Broker,
  topic: string,
  match: (r: StreamRecord) => boolean,
  o: { step: number; limit: number },
): Promise<StreamRecord[]> {
  const info = await broker.describeTopic(topic);
  const out: StreamRecord[] = [];
  for (const p of info?.partitions ?? []) {
    const floor = Math.max(p.startOffset, p.endOffset - o.limit);
    for (let end = p.endOffset; end > floor; end -= o.step) {
      const from = Math.max(floor, end - o.step);
      const found = (await broker.read(topic, p.partition, from, end - from)).filter((r) => r.offset < end && match(r));
      if (found.length > 0) {
        out.push(found[found.length - 1]!);
        break;
      }
    }
  }
  return out;
}

/** The end offset (next offset to be written) of every partition of `topics`. */
/**
 * endOffsets once every write to the topics is visible (see Broker.pendingWrites): a drain that read the
 * ends while a committed transaction's markers were still on their way stopped before its records.
 */
export async function visibleEndOffsets(
  broker: Broker,
  topics: string[],
  signal?: AbortSignal,
): Promise<TopicPartitionOffset[]> {
  for (let attempt = 0; !signal?.aborted && (await broker.pendingWrites?.(topics)); attempt++) {
    await sleep(backoffMs(attempt, 20, 200), signal);
  }
  return endOffsets(broker, topics);
}

export async function endOffsets(broker: Broker, topics: string[]): Promise<TopicPartitionOffset[]> {
  const out: TopicPartitionOffset[] = [];
  for (const topic of topics) {
    const info = await broker.describeTopic(topic);
    for (const p of info?.partitions ?? []) out.push({ topic, partition: p.partition, offset: p.endOffset });
  }
  return out;
}

/** One key's new value in a state store; `value: undefined` deletes the key. */
export interface StateChange {
  key: string;
  value: unknown;
  /** Wall-clock ms after which the entry is gone (a store's TTL); undefined = kept. */
  expiresAt?: number;
}

/** The changes of one store's partition since the last commit (only the keys that changed). */
export interface StoreChanges {
  store: string;
  partition: number;
  changes: StateChange[];
  /** Keys the store holds after these changes: a backend that logs changes compacts by it. */
  held?: number;
  /**
   * The store's whole content after these changes ([key, value, expiresAt]), valid during the commit call
   * only: a backend that compacts its log writes this, inside the commit's transaction, instead of reading
   * the log back and folding it. Values are the store's own objects (see StoreState on changing them).
   */
  latest?: () => Iterable<[string, unknown, number | undefined]>;
}

/** What a stateful processor makes durable after a batch: all of it, or none of it. */
export interface AtomicCommit {
  outputs: Array<{ topic: string; records: OutgoingRecord[] }>;
  state: StoreChanges[];
  /**
   * Next offsets to read, committed for the consumer's group in the same transaction. `since`: the
   * ownership (Ownership.since) the batch was built under; a commit whose partition has been lost and
   * dealt back since then is refused (FENCED), even under the member's new, valid membership.
   */
  positions: Array<TopicPartitionOffset & { since?: number }>;
}

/**
 * Where a processor's keyed state lives and how it commits exactly once. On `local` the state is rows in
 * the broker's own file and a commit is one SQLite transaction; on `kafka` each store is a compacted
 * changelog topic and a commit is one Kafka transaction (outputs, changelog records, group offsets).
 */
export interface StateBackend {
  /** Makes what the stores need (kafka: their changelog topics, with `partitions` each). Idempotent. */
  prepare(stores: Array<{ name: string; partitions: number }>): Promise<void>;
  /**
   * Calls `each` for every live entry of one store partition as last committed. Never reads the input
   * topics: on kafka it reads the changelog partition from its start to its end. `inputs` are the topics
   * whose offsets (of this partition) the state goes with: a commit of them still in flight (a previous
   * owner's transaction) is waited for first, so the state restored matches the offsets read next.
   */
  restore(
    store: string,
    partition: number,
    each: (key: string, value: unknown, expiresAt: number | undefined) => void,
    inputs: readonly string[],
  ): Promise<{ entries: number; ms: number }>;
  /**
   * Outputs, state changes and the consumer group's positions, all or nothing. Fails with FENCED, and
   * writes nothing, when `consumer` no longer owns a partition it commits (a rebalance moved it away).
   */
  commit(consumer: Consumer, commit: AtomicCommit): Promise<void>;
  close(): Promise<void>;
  /**
   * How long a commit may wait for more input to share it, ms (default 100). A commit that costs round
   * trips (a Kafka transaction) gathers polls; one that costs a local transaction takes what is there.
   */
  readonly gatherMs?: number;
}

/** A broker that can keep processors' state (both built-in brokers can). */
export interface StatefulBroker extends Broker {
  /** `app` names the stores' home (changelog topics `<app>-<store>-changelog`); `group` is the processor's. */
  stateBackend(app: string, group: string): StateBackend;
}

export function isStatefulBroker(b: Broker): b is StatefulBroker {
  return typeof (b as Partial<StatefulBroker>).stateBackend === 'function';
}
