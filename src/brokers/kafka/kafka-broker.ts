import { randomUUID } from 'node:crypto';
import {
  Admin,
  type BaseOptions,
  ConnectionPool,
  Consumer as KConsumer,
  ProduceAcks,
  Producer,
} from '@platformatic/kafka';
import {
  type Consumer,
  type ConsumerOptions,
  type GroupOffset,
  type StateBackend,
  type StatefulBroker,
  type TopicConfig,
  type TopicInfo,
  withWritten,
} from '../../core/broker.ts';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import { Partitioner } from '../../core/partitioner.ts';
import type { OutgoingRecord, RecordPosition, StreamRecord } from '../../core/record.ts';
import { CHANGELOG_CONFIGS } from './changelog.ts';
import { chunk, type EncodedMessage, encodeRecord } from './codec.ts';
import { type KafkaUrl, parseKafkaUrl } from './config.ts';
import { apiIds, isUnknownTopic, startHint, toKafkaError } from './errors.ts';
import { clamp, fetchOnce, type KafkaClient, partitionBounds, stableBounds } from './fetcher.ts';
import { KafkaConsumer } from './kafka-consumer.ts';
import { KafkaStateBackend } from './kafka-state-backend.ts';
import { type InDoubt, landedPartitions } from './produce-doubt.ts';
import { decodeRecordBatches } from './record-batch.ts';

/** Failed chunks remembered per topic for their retries (see KafkaBroker.#doubts). */
const MAX_DOUBTS = 8;

/** A produce whose first chunk found no topic: nothing was written, so it can be retried whole. */
class UnknownTopicAtStart extends Error {
  constructor(cause: unknown) {
    super('unknown topic', { cause });
  }
}

/** A test's hook around one chunk's send (given its messages): where an answer is lost, landed or not. */
export const kSend = Symbol('runnel.kafka.send');

/**
 * The `kafka://` broker over @platformatic/kafka. Keys are placed with Java Kafka's partitioner
 * (murmur2 & 0x7fffffff, see core/partitioner.ts), computed here rather than by the client, whose default
 * (murmur2 >>> 0) disagrees with Java clients for half of all keys when the partition count is not a
 * power of two. That keeps placement identical to the local broker and to every Java/Python producer.
 */
export class KafkaBroker implements StatefulBroker {
  [kSend]?: (messages: EncodedMessage[]) => Promise<{ offsets?: Array<{ partition: number; offset: bigint }> }>;
  readonly url: string;
  readonly kind = 'kafka';
  readonly offsetsAreRecords = false;
  readonly config: KafkaUrl;
  readonly address: string;
  #admin: Admin | undefined;
  #producer: Producer<Buffer, Buffer, Buffer, Buffer> | undefined;
  #reader: { client: KafkaClient; pool: ConnectionPool } | undefined;
  #closed = false;
  #partitions = new Map<string, number>();
  /** Per `topic:partition`, the log end after our last acknowledged write: where an unanswered chunk would be. */
  readonly #ends = new Map<string, number>();
  /**
   * Per topic, the chunks whose send failed, newest last (a few: two sinks' dead letters may fail on one
   * topic at once): a retry of one first looks whether it is in the log (see produce-doubt.ts).
   */
  readonly #doubts = new Map<string, InDoubt[]>();
  /** Per topic, the produce in progress: one at a time, so a chunk's place in the log is known before it is sent. */
  readonly #turns = new Map<string, Promise<unknown>>();
  readonly #partitioner = new Partitioner();

  constructor(url: string) {
    this.url = url;
    this.config = parseKafkaUrl(url);
    this.address = this.config.brokers.join(',');
  }

  #base(role: string): BaseOptions {
    return {
      clientId: `${this.config.clientId}-${role}`,
      bootstrapBrokers: this.config.brokers,
      connectTimeout: 3000,
      timeout: 30_000,
      retries: 3,
      retryDelay: 300,
    };
  }

  get admin(): Admin {
    if (!this.#admin) {
      this.#admin = new Admin(this.#base('admin'));
      this.#admin.on('error', () => {});
    }
    return this.#admin;
  }

  async connect(): Promise<void> {
    // A one-off probe without retries, so a dead address fails in ~3 s instead of after the retry budget.
    const probe = new Admin({ ...this.#base('probe'), retries: 0 });
    probe.on('error', () => {});
    try {
      await probe.metadata({ topics: [] });
    } catch (err) {
      const e = toKafkaError(err, this.address, 'connect');
      const cause = firstCause(err);
      // Something answered, but not as a broker's client listener (a controller port, another service).
      const notKafka = /Unsupported API/i.test(cause);
      throw new RunnelError(
        ErrorCodes.BROKER_UNAVAILABLE,
        notKafka
          ? `${this.address} answers, but not as a Kafka broker (${cause}): check the port (a KRaft controller's port serves no clients)`
          : `cannot reach Kafka at ${this.address}: ${cause}; ${startHint(this.address)}`,
        { retriable: true, cause: e, value: this.address },
      );
    } finally {
      await probe.close().catch(() => {});
    }
  }

  /** Whether close() was called: its clients are gone, and a reader asked for now would be a new one. */
  get closed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const closing: Array<Promise<unknown>> = [];
    if (this.#producer) closing.push(this.#producer.close(true));
    if (this.#admin) closing.push(this.#admin.close());
    if (this.#reader) closing.push(this.#reader.client.close(true), this.#reader.pool.close());
    this.#producer = undefined;
    this.#admin = undefined;
    this.#reader = undefined;
    await Promise.allSettled(closing);
  }

  async #run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toKafkaError(err, this.address, what);
    }
  }

  async createTopic(name: string, config: TopicConfig = {}): Promise<void> {
    await this.#createTopic(name, config, []);
  }

  /** A store's changelog: compacted, with the input's partitions (grown, never shrunk, like any topic). */
  async createChangelogTopic(name: string, partitions: number): Promise<void> {
    await this.#createTopic(name, { partitions }, CHANGELOG_CONFIGS);
  }

  async #createTopic(name: string, config: TopicConfig, extra: Array<{ name: string; value: string }>): Promise<void> {
    const partitions = config.partitions ?? this.config.partitions;
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new RunnelError(
        ErrorCodes.CONFIG_INVALID,
        `topic ${name}: partitions must be an integer >= 1 (got ${partitions})`,
      );
    }
    const configs: Array<{ name: string; value: string }> = [...extra];
    if (config.retentionMs !== undefined) configs.push({ name: 'retention.ms', value: String(config.retentionMs) });
    if (config.retentionBytes !== undefined)
      configs.push({ name: 'retention.bytes', value: String(config.retentionBytes) });
    await this.#run(`create topic ${name}`, async () => {
      try {
        await this.admin.createTopics({
          topics: [name],
          partitions,
          replicas: config.replicationFactor ?? this.config.replicationFactor,
          configs,
        });
      } catch (err) {
        if (!apiIds(err).has('TOPIC_ALREADY_EXISTS')) throw err;
        // Idempotent, and it may grow the topic, as on the local broker (never shrinks).
        const current = (await this.#metadata(name))?.partitionsCount ?? partitions;
        if (config.partitions !== undefined && config.partitions > current) {
          await this.admin.createPartitions({ topics: [{ name, count: config.partitions }] });
        }
      }
      await this.#awaitLeaders(name);
    });
  }

  /** Topic creation is asynchronous in Kafka: wait until every partition has a leader. */
  async #awaitLeaders(name: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const t = await this.#metadata(name, true);
      if (t?.partitions.every((p) => p && p.leader >= 0)) {
        this.#partitions.set(name, t.partitionsCount);
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async #metadata(name: string, forceUpdate = false) {
    try {
      // No retries: an unknown topic is an answer, not a failure (the client would retry it 3 times).
      const md = await this.admin.metadata({ topics: [name], forceUpdate, retries: 0 });
      return md.topics.get(name);
    } catch (err) {
      if (isUnknownTopic(err)) return undefined;
      throw err;
    }
  }

  async deleteTopic(name: string): Promise<void> {
    this.#forget(name);
    await this.#run(`delete topic ${name}`, async () => {
      try {
        await this.admin.deleteTopics({ topics: [name] });
      } catch (err) {
        if (!isUnknownTopic(err)) throw err;
      }
    });
  }

  async listTopics(): Promise<TopicInfo[]> {
    const names = await this.#run('list topics', () => this.admin.listTopics());
    const out: TopicInfo[] = [];
    for (const name of names.filter((n) => !n.startsWith('__')).sort()) {
      const info = await this.describeTopic(name);
      if (info) out.push(info);
    }
    return out;
  }

  async describeTopic(name: string): Promise<TopicInfo | undefined> {
    return this.#run(`describe topic ${name}`, async () => {
      const t = await this.#metadata(name, true);
      if (!t) return undefined;
      this.#partitions.set(name, t.partitionsCount);
      const all = Array.from({ length: t.partitionsCount }, (_, partition) => ({ topic: name, partition }));
      const bounds = await partitionBounds(this.reader.client, all);
      return {
        name,
        id: t.id,
        partitions: all.map(({ partition }) => {
          const b = bounds.get(`${name}:${partition}`) ?? { start: 0, end: 0 };
          return { partition, startOffset: b.start, endOffset: b.end };
        }),
      };
    });
  }

  /**
   * Whether a write to these topics is not visible to read-committed readers yet: a transaction still
   * open, or committed and its markers not written (Kafka answers EndTxn before it writes them). Then a
   * partition's high watermark is past its last stable offset.
   */
  async pendingWrites(topics: string[]): Promise<boolean> {
    return this.#run('look for open transactions', async () => {
      const targets: Array<{ topic: string; partition: number }> = [];
      for (const topic of topics) {
        const t = await this.#metadata(topic);
        for (let partition = 0; partition < (t?.partitionsCount ?? 0); partition++) targets.push({ topic, partition });
      }
      if (targets.length === 0) return false;
      return [...(await stableBounds(this.reader.client, targets)).values()].some((b) => b.unsettled);
    });
  }

  /**
   * acks=all, one attempt per send, no idempotence. Every resend goes through #resolveDoubt, which looks in
   * the log first. An idempotent client cannot be trusted with resends: when the broker answers a retry with
   * UNKNOWN_PRODUCER_ID or OUT_OF_ORDER_SEQUENCE_NUMBER (as after a restart), @platformatic/kafka takes a new
   * producer id and sends the batch again inside the same send, which then succeeds; the broker cannot tell
   * the copy from new records, and nothing here could see it happen (CI: 6050 rows for 6000 after Kafka
   * restarted mid-run). Idempotence also turns any retries setting <= 1 into unlimited retries. Produces to
   * one topic take turns (see produce), so where a chunk would land is known before it is sent.
   */
  get producer(): Producer<Buffer, Buffer, Buffer, Buffer> {
    if (!this.#producer) {
      this.#producer = new Producer({
        ...this.#base('producer'),
        acks: ProduceAcks.ALL,
        idempotent: false,
        retries: 0,
        // Else a partition's stale leader makes the client send the whole request again, by itself, and the
        // partitions that had landed land twice. Failed sends clear the metadata instead (#failed).
        repeatOnStaleMetadata: false,
      });
      this.#producer.on('error', () => {});
    }
    return this.#producer;
  }

  async #partitionCount(topic: string, fresh = false): Promise<number> {
    let n = this.#partitions.get(topic);
    if (n === undefined) {
      const t = await this.#metadata(topic, fresh);
      if (!t) await this.createTopic(topic);
      n = this.#partitions.get(topic) ?? t?.partitionsCount ?? this.config.partitions;
      this.#partitions.set(topic, n);
    }
    return n;
  }

  async produce(topic: string, records: OutgoingRecord[]): Promise<RecordPosition[]> {
    if (records.length === 0) return [];
    const prev = this.#turns.get(topic) ?? Promise.resolve();
    const run = prev.then(() => this.#produceNow(topic, records));
    const settled = run.catch(() => {});
    this.#turns.set(topic, settled);
    void settled.then(() => {
      if (this.#turns.get(topic) === settled) this.#turns.delete(topic);
    });
    return run;
  }

  #produceNow(topic: string, records: OutgoingRecord[]): Promise<RecordPosition[]> {
    return this.#run(`produce to ${topic}`, async () => {
      try {
        return await this.#produce(topic, records, false);
      } catch (err) {
        // Deleted since we looked (by us, or by a seed's producer that recreates its topic at start): the
        // first chunk failed, so nothing was written; look again and create it, as a first produce does.
        if (!(err instanceof UnknownTopicAtStart)) throw err;
        this.#forget(topic);
        return await this.#produce(topic, records, true);
      }
    });
  }

  /**
   * Records as Kafka messages, each with its partition chosen as produce does (explicit, by key, or round
   * robin); creates the topic if missing. The state backend sends these inside its transactions.
   */
  async encode(topic: string, records: OutgoingRecord[], fresh = false): Promise<EncodedMessage[]> {
    const n = await this.#partitionCount(topic, fresh);
    const now = Date.now();
    const messages: EncodedMessage[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      messages[i] = encodeRecord(topic, this.#partitioner.choose(topic, n, r), r, now);
    }
    return messages;
  }

  /** A transactional producer (acks=all, idempotent) with this broker's connection settings. */
  transactionalProducer(
    transactionalId: string,
    transactionTimeoutMs: number,
  ): Producer<Buffer, Buffer, Buffer, Buffer> {
    // The client sends its request timeout as the transaction's timeout: a transaction left open by a
    // killed process blocks read-committed readers of its partitions until the broker aborts it after this.
    const p = new Producer({
      ...this.#base('tx'),
      timeout: transactionTimeoutMs,
      // Right after a commit the coordinator is still writing its markers and answers the next transaction's
      // first request with CONCURRENT_TRANSACTIONS: retried at 300 ms that made one commit in ten take 350 ms
      // (measured); Java's client retries these after 20 ms. Other failures keep the usual backoff.
      retries: 10,
      retryDelay: (_client: unknown, _op: string, _attempt: number, _retries: number, error: unknown) =>
        apiIds(error).has('CONCURRENT_TRANSACTIONS') ? 10 : 300,
      acks: ProduceAcks.ALL,
      idempotent: true,
      transactionalId,
      // InitProducerId as a new producer (-1/-1), as Java's client sends it. The client's default (0/0)
      // claims to be producer 0 at epoch 0: for a transactional id used before (a producer dropped after a
      // failed commit and made again) the coordinator answers PRODUCER_FENCED, every time, forever.
      producerId: -1n,
      producerEpoch: -1,
    });
    p.on('error', () => {});
    return p;
  }

  stateBackend(app: string, group: string): StateBackend {
    return new KafkaStateBackend(this, app, group);
  }

  async #produce(topic: string, records: OutgoingRecord[], fresh: boolean): Promise<RecordPosition[]> {
    const positions: RecordPosition[] = new Array(records.length);
    const resolved = await this.#resolveDoubt(topic, records, positions);
    const messages = await this.encode(topic, resolved === 0 ? records : records.slice(resolved), fresh);
    // One chunk at a time: where a chunk lands is known only once the one before it is acknowledged.
    for (const c of chunk(messages)) {
      const start = resolved + c.start;
      let before: Map<number, number> | undefined;
      try {
        // Not sent without its place: a lost answer could not be checked, and a retry might write it twice.
        before = await this.#endsBefore(topic, c.messages);
        await this.#send({ start, messages: c.messages }, positions);
      } catch (err) {
        if (before || isUnknownTopic(err)) this.#failed(topic, c.messages);
        if (start === 0 && !fresh && isUnknownTopic(err)) throw new UnknownTopicAtStart(err);
        if (before) this.#doubt(topic, { topic, first: records[start]!, messages: c.messages, before });
        // The chunks before this one are acknowledged: a retry must not send them again. Mapped here, so
        // #run passes the count on with the error as it is.
        throw withWritten(toKafkaError(err, this.address, `produce to ${topic}`), start);
      }
    }
    return positions;
  }

  /**
   * When `records` retry a chunk whose send had no answer: the partitions where the log holds it get their
   * positions from there, the others are sent again. Returns how many leading records are settled.
   */
  async #resolveDoubt(topic: string, records: OutgoingRecord[], positions: RecordPosition[]): Promise<number> {
    const doubts = this.#doubts.get(topic);
    const doubt = doubts?.find((d) => d.first === records[0]);
    if (!doubt) return 0;
    const landed = await landedPartitions(this.reader, doubt);
    const at: number[] = [];
    const resend: EncodedMessage[] = [];
    const k = new Map<number, number>();
    doubt.messages.forEach((m, i) => {
      if (!landed.has(m.partition)) {
        at.push(i);
        resend.push(m);
        return;
      }
      const n = k.get(m.partition) ?? 0;
      k.set(m.partition, n + 1);
      positions[i] = { topic, partition: m.partition, offset: doubt.before.get(m.partition)! + n };
    });
    for (const [partition, n] of k) this.#advance(`${topic}:${partition}`, doubt.before.get(partition)! + n);
    // Kept until the resend is acknowledged: if it fails, the retry looks at the same places again.
    if (resend.length > 0) {
      try {
        await this.#send({ start: 0, messages: resend, at }, positions);
      } catch (err) {
        this.#failed(topic, resend);
        throw err;
      }
    }
    doubts!.splice(doubts!.indexOf(doubt), 1);
    return doubt.messages.length;
  }

  /** Notes a chunk whose send failed, for its retry; the oldest few go (a produce never retried). */
  #doubt(topic: string, doubt: InDoubt): void {
    const list = this.#doubts.get(topic) ?? [];
    list.push(doubt);
    if (list.length > MAX_DOUBTS) list.shift();
    this.#doubts.set(topic, list);
  }

  /**
   * After a failed send, the chunk's partitions' ends are unknown (it may have landed) and the leaders may
   * have moved: the next chunk asks the log for its ends, and the client for fresh metadata.
   */
  #failed(topic: string, messages: EncodedMessage[]): void {
    for (const m of messages) this.#ends.delete(`${topic}:${m.partition}`);
    this.#producer?.clearMetadata();
  }

  /** Log ends only grow: two produces to one partition may be acknowledged out of order. */
  #advance(tp: string, end: number): void {
    if (end > (this.#ends.get(tp) ?? -1)) this.#ends.set(tp, end);
  }

  #forget(topic: string): void {
    this.#partitions.delete(topic);
    for (const tp of this.#ends.keys())
      if (tp.startsWith(`${topic}:`) && !tp.slice(topic.length + 1).includes(':')) this.#ends.delete(tp);
  }

  /** Where each partition of a chunk would start: known from our last acknowledged write, else asked. */
  async #endsBefore(topic: string, messages: EncodedMessage[]): Promise<Map<number, number>> {
    const partitions = [...new Set(messages.map((m) => m.partition))];
    const unknown = partitions.filter((p) => !this.#ends.has(`${topic}:${p}`));
    if (unknown.length > 0) {
      const bounds = await partitionBounds(
        this.reader.client,
        unknown.map((partition) => ({ topic, partition })),
      );
      for (const [tp, b] of bounds) this.#ends.set(tp, b.end);
    }
    const out = new Map<number, number>();
    for (const p of partitions) {
      const end = this.#ends.get(`${topic}:${p}`);
      if (end === undefined) {
        throw new RunnelError(ErrorCodes.BROKER_UNAVAILABLE, `produce to ${topic}: partition ${p}'s end is unknown`, {
          retriable: true,
          value: `${topic}[${p}]`,
        });
      }
      out.set(p, end);
    }
    return out;
  }

  async #send(
    c: { start: number; messages: EncodedMessage[]; at?: number[] },
    positions: RecordPosition[],
  ): Promise<void> {
    const result = await (this[kSend] ?? ((m) => this.producer.send({ messages: m })))(c.messages);
    const base = new Map((result.offsets ?? []).map((o) => [o.partition, Number(o.offset)]));
    // Within one send, records of a partition land consecutively from its base offset, in order.
    const seen = new Map<number, number>();
    for (let i = 0; i < c.messages.length; i++) {
      const m = c.messages[i]!;
      const k = seen.get(m.partition) ?? 0;
      seen.set(m.partition, k + 1);
      positions[c.at ? c.at[i]! : c.start + i] = {
        topic: m.topic,
        partition: m.partition,
        offset: (base.get(m.partition) ?? 0) + k,
      };
    }
    for (const [partition, n] of seen) {
      const b = base.get(partition);
      if (b !== undefined) this.#advance(`${c.messages[0]!.topic}:${partition}`, b + n);
    }
  }

  consumer(options: ConsumerOptions): Consumer {
    return new KafkaConsumer(options, {
      brokers: this.config.brokers,
      address: this.address,
      clientId: this.config.clientId,
    });
  }

  async listGroups(group?: string): Promise<GroupOffset[]> {
    return this.#run('list groups', async () => {
      const groups = group
        ? [group]
        : [...(await this.admin.listGroups()).values()]
            .filter((g) => g.protocolType === 'consumer' || g.protocolType === '')
            .map((g) => g.id);
      if (groups.length === 0) return [];
      const listed = await this.admin.listConsumerGroupOffsets({ groups });
      const rows: Array<Omit<GroupOffset, 'endOffset' | 'lag'>> = [];
      for (const g of listed) {
        for (const t of g.topics) {
          for (const p of t.partitions) {
            if (p.committedOffset >= 0n)
              rows.push({
                group: g.groupId,
                topic: t.name,
                partition: p.partitionIndex,
                committed: Number(p.committedOffset),
              });
          }
        }
      }
      if (rows.length === 0) return [];
      const ends = await partitionBounds(this.reader.client, rows);
      return rows
        .map((r) => {
          const endOffset = ends.get(`${r.topic}:${r.partition}`)?.end ?? r.committed;
          return { ...r, endOffset, lag: Math.max(0, endOffset - r.committed) };
        })
        .sort((a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic) || a.partition - b.partition);
    });
  }

  /** A client that never joins a group: Fetch and ListOffsets for tail, the dashboard and describeTopic. */
  get reader(): { client: KafkaClient; pool: ConnectionPool } {
    if (!this.#reader) {
      const base = this.#base('reader');
      const client = new KConsumer({ ...base, groupId: `runnel-reader-${randomUUID()}`, autocommit: false });
      client.on('error', () => {});
      this.#reader = { client, pool: new ConnectionPool(base.clientId, { connectTimeout: 3000 }) };
    }
    return this.#reader;
  }

  async read(topic: string, partition: number, fromOffset: number, maxRecords: number): Promise<StreamRecord[]> {
    return this.#run(`read ${topic}[${partition}]`, async () => {
      if (!(await this.#metadata(topic))) return [];
      const { client, pool } = this.reader;
      const out: StreamRecord[] = [];
      let offset = fromOffset;
      for (let round = 0; round < 100 && out.length < maxRecords; round++) {
        const r = await fetchOnce(client, pool, [{ topic, partition, offset }], {
          maxWaitMs: 0,
          maxBytes: 8 << 20,
          partitionMaxBytes: 4 << 20,
        });
        if (r.outOfRange.length > 0) {
          const b = (await partitionBounds(client, [{ topic, partition }])).get(`${topic}:${partition}`)!;
          const next = clamp(offset, b);
          if (next === offset || next >= b.end) break;
          offset = next;
          continue;
        }
        const p = r.partitions[0];
        if (!p) {
          // Between leaders (fetchOnce waited and will look again): the end of the log is not reached yet.
          const b = (await partitionBounds(client, [{ topic, partition }])).get(`${topic}:${partition}`)!;
          if (offset >= b.end) break;
          continue;
        }
        if (p.next <= offset) break;
        decodeRecordBatches(p.records, topic, partition, offset, out, p.aborted);
        offset = p.next;
      }
      return out.slice(0, maxRecords);
    });
  }
}

/** The OS-level reason (connection refused, timeout) rather than the client's wrapper message. */
function firstCause(err: unknown): string {
  let e = err as { message?: string; cause?: unknown; errors?: unknown[] } | undefined;
  let message = e?.message ?? String(err);
  for (let i = 0; i < 8 && e; i++) {
    if (e.message) message = e.message;
    e = (e.cause ?? e.errors?.[0]) as typeof e;
  }
  return message.replace(/\.$/, '');
}
