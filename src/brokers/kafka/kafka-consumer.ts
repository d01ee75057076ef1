import { ConnectionPool, Consumer as KConsumer } from '@platformatic/kafka';
import { sleep } from '../../core/backoff.ts';
import {
  type Consumer,
  type ConsumerOptions,
  type Ownership,
  type PollOptions,
  type SeekTarget,
  sinceOf,
} from '../../core/broker.ts';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import { type StreamRecord, type TopicPartitionOffset, tpKey } from '../../core/record.ts';
import { TopicIdentity } from '../../core/recreated-topic.ts';
import { toKafkaError } from './errors.ts';
import { clamp, type FetchedPartition, fetchOnce, type KafkaClient, partitionBounds, track } from './fetcher.ts';
import { fetchStableOffsets, type GroupMetadata } from './group-protocol.ts';
import { decodeRecordBatches } from './record-batch.ts';

/** Bounded read-ahead: past this many buffered records we stop fetching until poll drains them. */
const MAX_BUFFERED = 20_000;
const FETCH_WAIT_MS = 250;
/** How long a poll after a failure waits for the retry under way before reporting the failure again. */
const RECOVERY_WAIT_MS = 3000;

interface Assigned {
  topic: string;
  partition: number;
  /** Next offset to fetch; undefined until resolved from the committed offset (or startFrom). */
  position: number | undefined;
  /** Bumped by seek and reassignment, so a response to an older request is recognised and dropped. */
  epoch: number;
  /** Decoded records, oldest first. */
  buffer: StreamRecord[];
  /** Fetched but not yet decoded, oldest first. */
  pending: FetchedPartition[];
  /** Records were handed out under this ownership and no transactional commit has covered them yet. */
  handedOut: boolean;
  /** The group's offset as this member last saw it committed, under this ownership (unknown: undefined). */
  committed?: number | undefined;
  /** The generation this member's unbroken ownership of the partition began in. */
  since: number;
}

export interface KafkaConsumerDeps {
  brokers: string[];
  address: string;
  clientId: string;
}

/**
 * A group member over Kafka's classic group protocol. @platformatic/kafka keeps the membership (join,
 * heartbeats, rebalances); positions, read-ahead and commits are ours, with autocommit off: the runtime
 * commits only after its output is durable.
 */
export class KafkaConsumer implements Consumer {
  readonly #o: ConsumerOptions;
  readonly #deps: KafkaConsumerDeps;
  readonly #client: KafkaClient;
  readonly #pool: ConnectionPool;
  #assigned = new Map<string, Assigned>();
  #pendingSeeks = new Map<string, SeekTarget>();
  /** The topic id each topic is read by: every fetch says which it went out with. */
  readonly #identity: TopicIdentity;
  #joining: Promise<void> | undefined;
  /** close() has closed the client: a join landing after it must close it again (see #join). */
  #clientClosed = false;
  #joined = false;
  #inflight: Promise<void> | undefined;
  #error: unknown;
  /** The last failure, until a join or fetch succeeds again: an empty poll meanwhile is not a recovery. */
  #failing: unknown;
  /**
   * Partitions taken away while records handed out under that ownership were uncommitted. A transactional
   * commit of them must fail (FENCED) even if a later rebalance gave the partition back: the group's offset
   * may have moved on under another member meanwhile.
   */
  readonly #lostUncommitted = new Set<string>();
  /**
   * The generation `#assigned` belongs to. The client takes a new generation from JoinGroup before SyncGroup
   * hands out its assignment: fencing a commit by the client's generation in between let a member commit a
   * partition it had already lost under the generation that gave it to another member (CI saw a count go
   * back from 1753 to 1326). Committing under this one, the broker refuses it once the new one exists.
   */
  #generation = -1;
  #buffered = 0;
  #next = 0;
  #rounds = 0;
  #closed = false;

  constructor(options: ConsumerOptions, deps: KafkaConsumerDeps) {
    if (options.topics.length === 0)
      throw new RunnelError(ErrorCodes.CONFIG_INVALID, 'consumer needs at least one topic');
    this.#o = options;
    this.#deps = deps;
    this.#identity = new TopicIdentity(options);
    const clientId = options.clientId ?? `${deps.clientId}-${options.group}`;
    this.#client = new KConsumer({
      clientId,
      groupId: options.group,
      bootstrapBrokers: deps.brokers,
      autocommit: false,
      // A killed member's partitions move after this; 6 s is the broker's minimum, 10 s leaves headroom.
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
      rebalanceTimeout: 15_000,
      connectTimeout: 3000,
      retries: 3,
      retryDelay: 300,
    });
    // Fetches long-poll; on their own connections they never delay heartbeats or commits.
    this.#pool = new ConnectionPool(`${clientId}-fetch`, { connectTimeout: 3000 });
    this.#client.on('consumer:group:join', (p) => this.#onAssignment(p.assignments ?? []));
    // A rejoin that fails (broker away) stops the client's heartbeats: poll joins again.
    this.#client.on('error', () => {
      this.#joined = false;
    });
    this.#client.on('consumer:heartbeat:error', () => {});
  }

  assignment(): Ownership[] {
    return [...this.#assigned.values()].map(({ topic, partition, since }) => ({ topic, partition, since }));
  }

  /** The membership a transactional offset commit is fenced by; undefined when not (or no longer) in the group. */
  groupMetadata(): GroupMetadata | undefined {
    const c = this.#client;
    if (!this.#joined || !c.memberId || c.coordinatorId === null || c.coordinatorId === undefined) return undefined;
    return {
      groupId: this.#o.group,
      generationId: this.#generation,
      memberId: c.memberId,
      coordinatorId: c.coordinatorId,
    };
  }

  /**
   * The partitions of `offsets` this member may not commit transactionally: not assigned now, or taken
   * away (and maybe given back) since records of them were handed out without a commit after them.
   */
  notOwned(offsets: Array<{ topic: string; partition: number; since?: number }>): string[] {
    const out: string[] = [];
    for (const o of offsets) {
      const key = tpKey(o.topic, o.partition);
      // Owned again, but not without a break since the batch's task was built (a generation it missed).
      const regained = o.since !== undefined && sinceOf(this.#assigned.values(), o.partition) !== o.since;
      if (!this.#assigned.has(key) || regained || this.#lostUncommitted.has(key)) out.push(key);
    }
    return out;
  }

  /**
   * A transactional commit of these partitions ended: committed, or refused as fenced (the caller drops
   * its batch and reads again from the group's offsets). Either way nothing handed out is pending any more.
   */
  settled(offsets: Array<{ topic: string; partition: number }>): void {
    for (const o of offsets) {
      const key = tpKey(o.topic, o.partition);
      this.#lostUncommitted.delete(key);
      const a = this.#assigned.get(key);
      if (a) a.handedOut = false;
    }
  }

  /**
   * A transactional commit of these offsets, made under assignment `generation`, landed: the group's
   * offsets are these now. If a rebalance came in between, another member may have committed after it, so
   * the offset is unknown again (re-committing an older one would move the group back).
   */
  committedAt(offsets: TopicPartitionOffset[], generation: number): void {
    for (const o of offsets) {
      const a = this.#assigned.get(tpKey(o.topic, o.partition));
      if (a) a.committed = generation === this.#generation ? o.offset : undefined;
    }
  }

  /**
   * Offsets that committing again changes nothing: the group's own, for partitions this member owns and
   * has seen committed under its ownership (none after a reassignment until it reads or commits one).
   */
  unchangedOffsets(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const [key, a] of this.#assigned) {
      if (a.committed !== undefined && !this.#lostUncommitted.has(key))
        out.push({ topic: a.topic, partition: a.partition, offset: a.committed });
    }
    return out;
  }

  /** The offsets worth committing (those of a topic deleted and created again are not; see TopicIdentity). */
  committable<T extends TopicPartitionOffset>(offsets: T[]): T[] {
    return this.#identity.committable(offsets);
  }

  position(topic: string, partition: number): number | undefined {
    const a = this.#assigned.get(tpKey(topic, partition));
    if (!a || a.position === undefined || this.#pendingSeeks.has(tpKey(topic, partition))) return undefined;
    // Fetched and not handed out yet: the first of it is next. Else the fetch position, which a fetch
    // moves past the control batches (commit/abort markers) and aborted records it read.
    return a.buffer[0]?.offset ?? a.pending[0]?.offset ?? a.position;
  }

  seek(topic: string, partition: number, target: SeekTarget): void {
    this.#pendingSeeks.set(tpKey(topic, partition), target);
    const a = this.#assigned.get(tpKey(topic, partition));
    if (a) this.#reset(a);
  }

  async poll(options: PollOptions = {}): Promise<StreamRecord[]> {
    if (this.#closed) throw new RunnelError(ErrorCodes.INTERNAL, 'poll on a closed consumer');
    const max = options.maxRecords ?? 1000;
    let deadline = Date.now() + (options.maxWaitMs ?? 500);
    let extended = false;
    for (;;) {
      this.#throwPending();
      if (this.#buffered > 0) {
        // Start the next fetch first and let it reach the socket, so the broker works while we decode.
        if (this.#prefetch()) await new Promise<void>((r) => setImmediate(r));
        return this.#drain(max);
      }
      const left = deadline - Date.now();
      if (options.signal?.aborted) return [];
      if (left <= 0) {
        if (this.#failing === undefined) return [];
        // After a failure an empty batch would read as "recovered". A rejoin or fetch under way (a restarted
        // broker takes longer than one poll to answer) gets a little longer once; still failing, say so again.
        if (!extended && (this.#joining ?? this.#inflight)) {
          extended = true;
          deadline = Date.now() + RECOVERY_WAIT_MS;
          continue;
        }
        throw toKafkaError(this.#failing, this.#deps.address, this.#what());
      }
      if (!this.#joined) this.#joining ??= this.#join();
      else this.#prefetch();
      const waitFor = this.#joined ? this.#inflight : this.#joining;
      if (!waitFor) {
        await sleep(Math.min(left, 50), options.signal);
        continue;
      }
      await Promise.race([waitFor.catch(() => {}), sleep(left, options.signal)]);
    }
  }

  async commit(offsets: TopicPartitionOffset[]): Promise<void> {
    offsets = this.#identity.committable(offsets);
    if (offsets.length === 0) return;
    try {
      await this.#client.commit({
        offsets: offsets.map((o) => ({
          topic: o.topic,
          partition: o.partition,
          offset: BigInt(o.offset),
          leaderEpoch: -1,
        })),
      });
    } catch (err) {
      throw toKafkaError(err, this.#deps.address, `commit for group ${this.#o.group}`);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // A join still in flight would complete after the client closed and start heartbeats that never
    // stop, keeping the process alive (`consume --drain` on an empty topic hung): let it land first.
    if (this.#joining) await withTimeout(this.#joining, 5000).catch(() => {});
    // Leaving the group lets the others take our partitions at once; bounded, as the broker may be gone.
    await withTimeout(this.#client.close(), 5000).catch(() => this.#client.close(true).catch(() => {}));
    this.#clientClosed = true;
    await withTimeout(this.#pool.close(), 2000).catch(() => {});
  }

  #throwPending(): void {
    if (this.#error === undefined) return;
    const err = this.#error;
    this.#error = undefined;
    throw toKafkaError(err, this.#deps.address, this.#what());
  }

  #what(): string {
    return `consume ${this.#o.topics.join(',')}`;
  }

  async #join(): Promise<void> {
    try {
      track(this.#client, this.#o.topics);
      await this.#client.joinGroup({});
      this.#joined = true;
      this.#failing = undefined;
    } catch (err) {
      this.#error = err;
      this.#failing = err;
    } finally {
      this.#joining = undefined;
      // Closed while the join was out (a rebalance waiting on a dead member outlasts close's 5 s): the join
      // landing now starts heartbeats that would keep the process alive for good, so close again.
      if (this.#clientClosed) await this.#client.close(true).catch(() => {});
    }
  }

  #onAssignment(assignments: Array<{ topic: string; partitions: number[] }>): void {
    const generation = this.#client.generationId;
    // Eager rebalancing: a partition kept from the generation before was owned by nobody else meanwhile, so
    // its position stands. Not across a gap: a member whose SyncGroup was refused (another rebalance began),
    // or that the group dropped while it was stalled, missed a generation in which others may have owned
    // and committed it. Then every partition starts afresh, from the group's offsets and restored state.
    const continuous =
      this.#generation >= 0 && (generation === this.#generation || generation === this.#generation + 1);
    this.#generation = generation;
    const next = new Map<string, Assigned>();
    for (const { topic, partitions } of assignments) {
      for (const partition of partitions) {
        const key = tpKey(topic, partition);
        const kept = continuous ? this.#assigned.get(key) : undefined;
        next.set(
          key,
          kept ?? {
            topic,
            partition,
            position: undefined,
            epoch: 0,
            buffer: [],
            pending: [],
            handedOut: false,
            since: generation,
          },
        );
      }
    }
    for (const [key, a] of this.#assigned) {
      if (next.get(key) === a) continue;
      if (a.handedOut) this.#lostUncommitted.add(key);
      this.#reset(a);
    }
    this.#assigned = next;
  }

  #reset(a: Assigned): void {
    this.#buffered -= a.buffer.length + a.pending.reduce((n, c) => n + c.count, 0);
    a.buffer = [];
    a.pending = [];
    a.position = undefined;
    a.committed = undefined;
    a.epoch++;
  }

  /** Committed offset, a pending seek, or startFrom, for partitions that have no position yet. */
  async #resolvePositions(): Promise<void> {
    const todo = [...this.#assigned.values()].filter((a) => a.position === undefined);
    if (todo.length === 0) return;
    const epochs = new Map(todo.map((a) => [a, a.epoch]));
    const byTopic = new Map<string, number[]>();
    for (const a of todo) byTopic.set(a.topic, [...(byTopic.get(a.topic) ?? []), a.partition]);
    // Stable offsets only (Kafka's requireStable, as its read-committed consumers ask): a partition whose
    // previous owner's transaction is still open waits for it, instead of starting from the offset before it.
    const coordinator = this.#client.coordinatorId;
    if (coordinator === null || coordinator === undefined) return;
    const { committed, unstable } = await fetchStableOffsets(
      this.#client,
      coordinator,
      this.#o.group,
      [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    );
    const waiting = new Set(unstable.map((u) => tpKey(u.topic, u.partition)));
    const bounds = await partitionBounds(this.#client, todo);
    for (const a of todo) {
      if (epochs.get(a) !== a.epoch || this.#assigned.get(tpKey(a.topic, a.partition)) !== a) continue;
      if (waiting.has(tpKey(a.topic, a.partition))) continue; // asked again next round
      const b = bounds.get(`${a.topic}:${a.partition}`) ?? { start: 0, end: 0 };
      const seek =
        this.#pendingSeeks.get(tpKey(a.topic, a.partition)) ?? this.#o.positionOnAssign?.(a.topic, a.partition);
      const c = committed.get(`${a.topic}:${a.partition}`) ?? -1;
      if (c >= 0) a.committed = c;
      if (seek !== undefined) this.#pendingSeeks.delete(tpKey(a.topic, a.partition));
      if (seek === 'beginning') a.position = b.start;
      else if (seek === 'end') a.position = b.end;
      else if (typeof seek === 'number') a.position = clamp(seek, b);
      // 'committed' (or no seek): the stable committed offset, asked above with requireStable.
      else if (c >= 0) a.position = clamp(c, b);
      else a.position = this.#o.startFrom === 'end' ? b.end : b.start;
    }
  }

  /** Starts a fetch unless one is out or the buffer is full; true when it started one. */
  #prefetch(): boolean {
    if (this.#inflight || this.#closed || !this.#joined || this.#buffered >= MAX_BUFFERED) return false;
    this.#inflight = this.#fetch()
      .then((got) => {
        this.#inflight = undefined;
        // A round that asked the broker nothing (no partition had a position yet, as after a seek while the
        // broker is away) is no sign it is back: a poll would then call the outage recovered (CI saw it).
        if (got === undefined) return;
        this.#failing = undefined;
        // Keep the pipe full while records flow: the next round trip overlaps the caller's decode and work.
        if (got > 0) this.#prefetch();
      })
      .catch((err) => {
        this.#inflight = undefined;
        this.#error = err;
        this.#failing = err;
      });
    return true;
  }

  /** One fetch round; returns how many records it buffered (undefined: nothing was ready to ask for). */
  async #fetch(): Promise<number | undefined> {
    await this.#resolvePositions();
    // Rotated each round: Kafka hands a batch bigger than the per-partition limit only to the first
    // partition of a response, so a fixed order could starve the others behind a busy first one.
    const ready = rotate(
      [...this.#assigned.values()].filter((a) => a.position !== undefined),
      this.#rounds++,
    );
    if (ready.length === 0) {
      // Nothing assigned (yet): wait a little instead of spinning through poll.
      await sleep(50);
      return undefined;
    }
    const asked = new Map(
      ready.map((a) => [tpKey(a.topic, a.partition), { a, epoch: a.epoch, position: a.position! }]),
    );
    // 1 MiB per partition, Kafka's default largest batch (max.message.bytes), so any partition's next batch
    // fits whole when its turn comes (runnel's producer writes up to 768 KiB; a 256 KiB limit starved later
    // partitions). 1 MiB per response too: 4 partitions × 1 MiB responses measured 1.1–1.3 M rec/s against
    // 1.6 M at ~1 MiB, and the rotation above shares the response between partitions across rounds.
    const r = await fetchOnce(
      this.#client,
      this.#pool,
      ready.map((a) => ({ topic: a.topic, partition: a.partition, offset: a.position! })),
      { maxWaitMs: FETCH_WAIT_MS, maxBytes: 1 << 20, partitionMaxBytes: 1 << 20 },
    );
    const recreated = this.#recreatedTopics(r.topicIds);
    let got = 0;
    for (const p of r.partitions) {
      if (recreated.has(p.topic)) continue; // read at a position of the old topic: means nothing now
      const q = asked.get(tpKey(p.topic, p.partition));
      // Seeked, revoked or reassigned while the request was out: this answer is for an old position.
      if (!q || q.a.epoch !== q.epoch || q.a.position !== q.position) continue;
      if (p.count > 0) q.a.pending.push(p);
      this.#buffered += p.count;
      got += p.count;
      q.a.position = p.next;
    }
    const outOfRange = r.outOfRange.filter((t) => !recreated.has(t.topic));
    if (outOfRange.length > 0) {
      const bounds = await partitionBounds(this.#client, outOfRange);
      for (const t of outOfRange) {
        const q = asked.get(tpKey(t.topic, t.partition));
        const b = bounds.get(`${t.topic}:${t.partition}`);
        if (q && b && q.a.epoch === q.epoch && q.a.position === q.position) q.a.position = clamp(t.offset, b);
      }
    }
    return got;
  }

  /**
   * Topics fetched by another id than before: deleted and created again (see TopicIdentity). Their
   * partitions start over at the new topic's beginning; a 'fail' consumer throws, and poll reports it.
   */
  #recreatedTopics(ids: Map<string, string>): Set<string> {
    const recreated = new Set<string>();
    for (const [topic, now] of ids) {
      if (!this.#identity.recreated(topic, now)) continue;
      recreated.add(topic);
      for (const a of this.#assigned.values()) {
        if (a.topic !== topic) continue;
        this.#reset(a);
        this.#pendingSeeks.set(tpKey(a.topic, a.partition), 'beginning');
      }
    }
    return recreated;
  }

  /** Round-robin over partitions so one busy partition cannot starve the others; order kept per partition. */
  #drain(max: number): StreamRecord[] {
    const parts = [...this.#assigned.values()].filter((a) => a.buffer.length > 0 || a.pending.length > 0);
    const out: StreamRecord[] = [];
    const share = Math.max(1, Math.ceil(max / parts.length));
    for (let i = 0; i < parts.length && out.length < max; i++) {
      const a = parts[(this.#next + i) % parts.length]!;
      const want = Math.min(share, max - out.length);
      while (a.buffer.length < want && a.pending.length > 0) {
        const chunk = a.pending.shift()!;
        const before = a.buffer.length;
        decodeRecordBatches(chunk.records, a.topic, a.partition, chunk.offset, a.buffer, chunk.aborted);
        // The count was an upper bound (records before `from` are skipped): settle the difference.
        this.#buffered += a.buffer.length - before - chunk.count;
      }
      const take = a.buffer.splice(0, want);
      if (take.length > 0) a.handedOut = true;
      for (const r of take) out.push(r);
    }
    this.#next++;
    this.#buffered -= out.length;
    this.#identity.handedOut(out);
    return out;
  }
}

function rotate<T>(items: T[], by: number): T[] {
  if (items.length < 2) return items;
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
