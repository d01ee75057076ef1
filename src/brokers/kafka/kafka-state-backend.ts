/**
 * Keyed state on Kafka, exactly once (Kafka's EOS v2, as Kafka Streams' exactly_once_v2): each store is a
 * compacted changelog topic, and each commit is ONE transaction holding the batch's outputs, its changelog
 * records and the group's offsets. The transaction's offsets are committed with the consumer's group
 * generation, so a member a rebalance left behind (a zombie) is refused by the group coordinator and its
 * whole transaction aborts: read-committed readers never see its outputs or its state.
 *
 * One transactional producer per backend (one per group and process): fencing goes through the group
 * generation, not through a transactional id per input partition as EOS v1 did.
 */
import { randomUUID } from 'node:crypto';
import type { Producer } from '@platformatic/kafka';
import { settledWithin, sleep } from '../../core/backoff.ts';
import type { AtomicCommit, Consumer, StateBackend } from '../../core/broker.ts';
import { ErrorCodes, isRunnelError, RunnelError } from '../../core/errors.ts';
import type { TopicPartitionOffset } from '../../core/record.ts';
import { type ChangelogMessage, changelogTopic, encodeChange, readChangelog } from './changelog.ts';
import { chunk, type EncodedMessage } from './codec.ts';
import { apiIds, toKafkaError } from './errors.ts';
import { partitionBounds } from './fetcher.ts';
import { txnOffsetCommit } from './group-protocol.ts';
import type { KafkaBroker } from './kafka-broker.ts';
import { KafkaConsumer } from './kafka-consumer.ts';

/**
 * How long a transaction of a killed process blocks read-committed readers of its partitions before the
 * broker aborts it (Kafka Streams' default for exactly-once too). Commits take milliseconds, not this.
 */
const TRANSACTION_TIMEOUT_MS = 10_000;
/** Waiting for another member's open transaction: the timeout above plus the broker's abort sweep (10 s). */
const STABLE_WAIT_MS = 60_000;
/** How long close() waits for its last transaction's commit markers (see #awaitVisible); they take ms. */
const VISIBLE_WAIT_MS = 5000;
/** How long close() waits for a commit still in flight (see close): one takes ms while Kafka answers. */
const CLOSE_COMMIT_WAIT_MS = 5000;

/** Kafka's answers that mean "this member or producer was replaced": the batch belongs to someone else now. */
const FENCING = new Set([
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'FENCED_INSTANCE_ID',
  'REBALANCE_IN_PROGRESS',
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_EPOCH',
]);

/** A test's hook between the offsets' commit and the first send: where a stalled zombie's offsets are pending. */
export const kBeforeSends = Symbol('runnel.kafka.state.beforeSends');
/** A test's hook between the last send and EndTxn: where a process killed mid-transaction dies. */
export const kBeforeEndTxn = Symbol('runnel.kafka.state.beforeEndTxn');
/** A test's hook around EndTxn (given the real call): where its answer is lost, whether or not it landed. */
export const kEndTxn = Symbol('runnel.kafka.state.endTxn');

type TxProducer = Producer<Buffer, Buffer, Buffer, Buffer>;
type Transaction = Awaited<ReturnType<TxProducer['beginTransaction']>>;
type OutMessage = EncodedMessage | ChangelogMessage;

export class KafkaStateBackend implements StateBackend {
  readonly #broker: KafkaBroker;
  readonly #app: string;
  readonly #group: string;
  /** Stable for this backend's life: a restart of the process gets a new one (EOS v2 needs no more). */
  readonly #transactionalId: string;
  #producer: TxProducer | undefined;
  /**
   * Where the last transaction that landed wrote: per partition, its first offset there. Read-committed
   * readers see those records only once its commit markers are written, which Kafka does after it answers
   * EndTxn (see #awaitVisible).
   */
  #lastWritten: TopicPartitionOffset[] = [];
  /** Commits run one at a time: a producer has one transaction open at most. */
  #queue: Promise<unknown> = Promise.resolve();
  [kBeforeSends]?: () => Promise<void>;
  [kBeforeEndTxn]?: () => Promise<void>;
  [kEndTxn]?: (endTxn: () => Promise<void>) => Promise<void>;

  constructor(broker: KafkaBroker, app: string, group: string) {
    this.#broker = broker;
    this.#app = app;
    this.#group = group;
    this.#transactionalId = `runnel-${group}-${randomUUID()}`;
  }

  async prepare(stores: Array<{ name: string; partitions: number }>): Promise<void> {
    for (const s of stores) await this.#broker.createChangelogTopic(changelogTopic(this.#app, s.name), s.partitions);
  }

  async restore(
    store: string,
    partition: number,
    each: (key: string, value: unknown, expiresAt: number | undefined) => void,
    inputs: readonly string[],
  ): Promise<{ entries: number; ms: number }> {
    const started = performance.now();
    const topic = changelogTopic(this.#app, store);
    try {
      // A previous owner's transaction that already committed this partition's offsets must finish first:
      // it commits them before it sends its changelog records, so until then the changelog shows no open
      // transaction, and its stable end would stop before those changes while the group's offsets (read
      // once the transaction ends) pass them. CI saw a key's count start again at 1 after 91.
      await this.#awaitStableOffsets(inputs.map((t) => ({ topic: t, partition })));
      const entries = await readChangelog(this.#broker.reader, topic, partition, each, STABLE_WAIT_MS);
      return { entries, ms: performance.now() - started };
    } catch (err) {
      throw toKafkaError(err, this.#broker.address, `restore ${topic}[${partition}]`);
    }
  }

  commit(consumer: Consumer, c: AtomicCommit): Promise<void> {
    const run = this.#queue.then(() => this.#commit(consumer, c));
    this.#queue = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    // A commit in flight ends in milliseconds while Kafka answers. With Kafka gone it waits out the client's
    // own retries (minutes), and Ctrl-C waited with it: after a bound the producer is closed under it, and
    // its open transaction is aborted by Kafka (its transaction timeout, or the next run's producer of the same
    // id fencing it), so nothing of it counts and the next run does that batch again. Its markers are not
    // waited for either: none are coming.
    if (await settledWithin(this.#queue, CLOSE_COMMIT_WAIT_MS)) await this.#awaitVisible();
    await this.#dropProducer();
  }

  /**
   * Waits until read-committed readers see what the last transaction wrote. Kafka answers EndTxn before it
   * writes the commit markers, and until a partition has its marker its last stable offset stays before the
   * transaction: a `consume --drain` that exited at once could leave its last batch unseen by whoever read
   * the output next (measured: up to ~30 ms after EndTxn's answer on an idle machine). Most likely what made
   * the Kafka crash test, which reads the windowed run's output right after it, miss ~530 of 1,639 windows
   * once with no duplicates: about what that run's last transaction closes (every user's windows of its
   * last ~48 s). A partition's stable end past the transaction's first offset there means its marker is
   * written (an open transaction holds the stable end at its first offset). Earlier transactions need no
   * look: Kafka starts the next one only once the one before has all its markers.
   */
  async #awaitVisible(): Promise<void> {
    const written = this.#lastWritten;
    this.#lastWritten = [];
    // A broker its owner closed first has no reader left: asking for one made a new client that nobody
    // closed, and its connections kept the process alive for good (CI's state-backend test file hung so,
    // its tests all passed). Nobody reads through that broker any more either.
    if (written.length === 0 || this.#broker.closed) return;
    const deadline = Date.now() + VISIBLE_WAIT_MS;
    const look = async () => {
      while (Date.now() < deadline) {
        if (!unsettledWrites(written, await partitionBounds(this.#broker.reader.client, written))) return;
        await sleep(20);
      }
    };
    // Bounded as a whole: with the broker away one look retries for longer, and closing must not wait for
    // it (nothing here can make the markers come).
    await settledWithin(look(), VISIBLE_WAIT_MS);
  }

  async #commit(consumer: Consumer, c: AtomicCommit): Promise<void> {
    if (!(consumer instanceof KafkaConsumer)) {
      throw new RunnelError(ErrorCodes.INTERNAL, 'a kafka state backend commits only for a kafka consumer');
    }
    const positions = consumer.committable(c.positions);
    // Read together with the membership below, in one synchronous step: a rebalance landing later leaves
    // this commit with the generation it was checked under, which the coordinator then refuses.
    const lost = consumer.notOwned(positions);
    const group = consumer.groupMetadata();
    if (lost.length > 0 || (positions.length > 0 && !group)) {
      consumer.settled(positions);
      throw fenced(
        this.#group,
        lost.length > 0 ? `no longer owns ${lost.map(show).join(', ')}` : 'is not in the group',
      );
    }
    const messages = await this.#messages(c);
    if (messages.length === 0 && positions.length === 0) return;
    // The offsets this transaction commits, each stored with the commit's id: the input's positions, or
    // for outputs alone (a timer's) one owned partition's offset as the group has it, so that after an
    // unanswered EndTxn the group's offsets tell whether it landed (a blind retry could write the outputs
    // twice). Outputs alone before this member knows any committed offset stay unchecked: it retries.
    const id = randomUUID();
    const offsets =
      positions.length > 0 ? positions : group ? consumer.committable(consumer.unchangedOffsets()).slice(0, 1) : [];

    const producer = this.#producerFor();
    const written = new Map<string, TopicPartitionOffset>();
    let txn: Transaction | undefined;
    try {
      txn = await producer.beginTransaction();
      if (offsets.length > 0 && group) {
        // Offsets first: a zombie is refused here, before it sends anything.
        await txn.addConsumer({ groupId: group.groupId } as never);
        await txnOffsetCommit(
          producer,
          this.#transactionalId,
          producer.producerId!,
          producer.producerEpoch!,
          group,
          offsets,
          id,
        );
      }
      await this[kBeforeSends]?.();
      // One chunk at a time, all in the one transaction: a batch over Kafka's message size limit still commits whole.
      for (const part of chunk<OutMessage>(messages)) {
        const sent = await txn.send({ messages: part.messages as never });
        firstOffsets(written, sent.offsets ?? []);
      }
      await this[kBeforeEndTxn]?.();
    } catch (err) {
      await this.#abandon(txn);
      if (isFencing(err)) consumer.settled(positions);
      throw this.#mapped(err, 'commit');
    }
    try {
      const open = txn;
      await (this[kEndTxn] ? this[kEndTxn](() => open.commit()) : open.commit());
    } catch (err) {
      await this.#dropProducer();
      if (isFencing(err)) {
        consumer.settled(positions);
        throw this.#mapped(err, 'commit');
      }
      // No answer to EndTxn: the transaction may have committed. The group's stable offsets tell.
      if (!(await this.#landed(offsets, id))) throw this.#mapped(err, 'commit');
    }
    if (group) consumer.committedAt(offsets, group.generationId);
    consumer.settled(positions);
    this.#lastWritten = [...written.values()];
  }

  async #messages(c: AtomicCommit): Promise<OutMessage[]> {
    const out: OutMessage[] = [];
    try {
      for (const o of c.outputs) {
        if (o.records.length > 0) for (const m of await this.#broker.encode(o.topic, o.records)) out.push(m);
      }
    } catch (err) {
      throw toKafkaError(err, this.#broker.address, 'commit');
    }
    const now = BigInt(Date.now());
    for (const s of c.state) {
      const topic = changelogTopic(this.#app, s.store);
      for (const change of s.changes) {
        try {
          out.push(encodeChange(topic, s.partition, change, now));
        } catch (err) {
          // A value JSON cannot hold (a BigInt, a cycle): the operator's bug, caught before anything is sent.
          throw new RunnelError(
            ErrorCodes.PROCESSING_FAILED,
            `store ${s.store}: the value of key ${JSON.stringify(change.key)} cannot be saved as JSON (${(err as Error).message})`,
            { cause: err, value: change.key },
          );
        }
      }
    }
    return out;
  }

  #producerFor(): TxProducer {
    this.#producer ??= this.#broker.transactionalProducer(this.#transactionalId, TRANSACTION_TIMEOUT_MS);
    return this.#producer;
  }

  /**
   * Aborts (nothing of it becomes visible), then drops the producer: after a failed send its sequence
   * numbers may be off, and a fresh producer with the same transactional id bumps the epoch, which also
   * aborts the transaction on the broker when the abort itself could not be sent.
   */
  async #abandon(txn: Transaction | undefined): Promise<void> {
    if (txn && !txn.completed) await txn.abort().catch(() => {});
    await this.#dropProducer();
  }

  async #dropProducer(): Promise<void> {
    const p = this.#producer;
    this.#producer = undefined;
    if (p) await p.close(true).catch(() => {});
  }

  /** After an unanswered EndTxn: whether the group's offsets, once stable, are the ones commit `id` wrote. */
  async #landed(offsets: TopicPartitionOffset[], id: string): Promise<boolean> {
    if (offsets.length === 0) return false;
    try {
      const committed = await this.#awaitStableOffsets(offsets);
      return offsets.every((p) => {
        const c = committed.get(`${p.topic}:${p.partition}`);
        return c?.offset === p.offset && c.metadata === id;
      });
    } catch {
      return false;
    }
  }

  /**
   * The group's committed offsets of `targets` once no open transaction holds any of them (Kafka's
   * requireStable). Named partition by partition: asked for all of a group's offsets, Kafka looks for
   * pending ones only among the partitions that already have a committed offset, so a first commit still
   * in flight went unseen.
   */
  async #awaitStableOffsets(
    targets: ReadonlyArray<{ topic: string; partition: number }>,
  ): Promise<Map<string, { offset: number; metadata: string | null }>> {
    const out = new Map<string, { offset: number; metadata: string | null }>();
    if (targets.length === 0) return out;
    const byTopic = new Map<string, number[]>();
    for (const t of targets) byTopic.set(t.topic, [...(byTopic.get(t.topic) ?? []), t.partition]);
    const topics = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
    const deadline = Date.now() + STABLE_WAIT_MS;
    for (;;) {
      try {
        const [g] = await this.#broker.admin.listConsumerGroupOffsets({
          groups: [{ groupId: this.#group, topics }],
          requireStable: true,
        });
        for (const t of g?.topics ?? []) {
          for (const p of t.partitions) {
            out.set(`${t.name}:${p.partitionIndex}`, {
              offset: Number(p.committedOffset),
              metadata: p.metadata ?? null,
            });
          }
        }
        return out;
      } catch (err) {
        if (!apiIds(err).has('UNSTABLE_OFFSET_COMMIT') || Date.now() > deadline) throw err;
        await sleep(100);
      }
    }
  }

  #mapped(err: unknown, what: string): RunnelError {
    if (isRunnelError(err)) return err;
    if (isFencing(err)) {
      const why = [...apiIds(err)].filter((id) => FENCING.has(id)).join(', ');
      return fenced(this.#group, `was fenced by Kafka (${why})`, err);
    }
    return toKafkaError(err, this.#broker.address, `${what} for group ${this.#group}`);
  }
}

/** Notes, per partition, the lowest of the base offsets a send's answer gives (a transaction's first record there). */
export function firstOffsets(
  into: Map<string, TopicPartitionOffset>,
  sent: ReadonlyArray<{ topic: string; partition: number; offset: bigint | number }>,
): void {
  for (const o of sent) {
    const key = `${o.topic}:${o.partition}`;
    const offset = Number(o.offset);
    const before = into.get(key);
    if (before === undefined || offset < before.offset)
      into.set(key, { topic: o.topic, partition: o.partition, offset });
  }
}

/**
 * Whether a transaction that wrote from `written` (its first offset per partition) may still be unseen by
 * read-committed readers: a partition whose stable end (`ends`, by `topic:partition`) is not past its first
 * offset there, or unknown.
 */
export function unsettledWrites(
  written: readonly TopicPartitionOffset[],
  ends: ReadonlyMap<string, { end: number }>,
): boolean {
  return written.some((w) => (ends.get(`${w.topic}:${w.partition}`)?.end ?? Number.NEGATIVE_INFINITY) <= w.offset);
}

function isFencing(err: unknown): boolean {
  for (const id of apiIds(err)) if (FENCING.has(id)) return true;
  return false;
}

function fenced(group: string, why: string, cause?: unknown): RunnelError {
  return new RunnelError(
    ErrorCodes.FENCED,
    // The task runner, which handles it, says what follows (nothing written, the new owner takes over).
    `commit for group ${group}: this member ${why}`,
    { cause },
  );
}

function show(key: string): string {
  return `${key.replace('\u0000', '[')}]`;
}
