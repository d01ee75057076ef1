import { randomUUID } from 'node:crypto';
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
import type { BatchCursor, LocalBroker } from './local-broker.ts';

/** How often a member says it is alive, and how long silence means it is gone (its partitions move). */
export const HEARTBEAT_MS = 500;
export const SESSION_TIMEOUT_MS = 6000;
/** How long a reader held back for a slower one (see SharedReaders) waits before looking again. */
const HELD_MS = 5;

interface Assigned {
  topic: string;
  topicId: number;
  partition: number;
  position: number;
  /** The stored batch this member stopped inside, so it is parsed once, not once per poll. */
  cursor: { current?: BatchCursor };
  /** This ownership's number (Ownership.since): a partition that leaves and comes back gets a new one. */
  since: number;
}

/**
 * A group member on the local broker. Membership lives in the shared file: every member heartbeats and
 * computes the same deterministic assignment (partitions dealt round-robin over the live members sorted by
 * id), so two processes in one group split the partitions without a coordinator.
 */
export class LocalConsumer implements Consumer {
  readonly #broker: LocalBroker;
  readonly #options: ConsumerOptions;
  readonly #member = randomUUID();
  #assigned = new Map<string, Assigned>();
  #pendingSeeks = new Map<string, SeekTarget>();
  /** The topic id each topic is read by, checked every poll. */
  readonly #identity: TopicIdentity;
  #lastHeartbeat = 0;
  /** The group's membership epoch at this member's last look (-1: none yet). */
  #epochSeen = -1;
  /** Numbers each ownership of a partition, so one that ends and starts again is told apart (Ownership.since). */
  #ownerships = 0;
  #next = 0;
  #closed = false;
  /** The last fetch left a partition unread to let a slower shared reader catch up (see SharedReaders). */
  #heldBack = false;

  constructor(broker: LocalBroker, options: ConsumerOptions) {
    if (options.topics.length === 0)
      throw new RunnelError(ErrorCodes.CONFIG_INVALID, 'consumer needs at least one topic');
    this.#broker = broker;
    this.#identity = new TopicIdentity(options);
    this.#options = options;
  }

  /** This member's id in the group's membership rows (the state backend fences commits by it). */
  get memberId(): string {
    return this.#member;
  }

  get group(): string {
    return this.#options.group;
  }

  /** The partitions owned as of the last poll or rebalance, without asking the group (a write). */
  knownAssignment(): Ownership[] {
    return [...this.#assigned.values()].map(({ topic, partition, since }) => ({ topic, partition, since }));
  }

  assignment(): Ownership[] {
    this.#maybeRebalance(true);
    return this.knownAssignment();
  }

  /** Refreshes this member's heartbeat without looking at the assignment: a long restore keeps its place. */
  keepAlive(): void {
    // A row the group already deleted stays deleted: the next look sees the gap.
    this.#broker.transaction(() => {
      this.#broker
        .stmt('UPDATE group_members SET heartbeat = ? WHERE grp = ? AND member = ?')
        .run(Date.now(), this.#options.group, this.#member);
    });
  }

  /**
   * Whether a batch built under ownership `since` of a partition may still commit now that the group is at
   * `epoch` (read in the committing transaction): this member owns it without a break since, as far as
   * it can tell. The caller checks the current owner itself.
   */
  ownsSince(p: { topic: string; partition: number; since?: number }, epoch: number): boolean {
    if (this.#epochSeen < 0 || epoch - this.#epochSeen > 1) return false;
    return p.since === undefined || sinceOf(this.#assigned.values(), p.partition) === p.since;
  }

  seek(topic: string, partition: number, target: SeekTarget): void {
    this.#pendingSeeks.set(tpKey(topic, partition), target);
  }

  async poll(options: PollOptions = {}): Promise<StreamRecord[]> {
    if (this.#closed) throw new RunnelError(ErrorCodes.INTERNAL, 'poll on a closed consumer');
    const max = options.maxRecords ?? 1000;
    const deadline = Date.now() + (options.maxWaitMs ?? 500);
    for (;;) {
      this.#maybeRebalance(false);
      const records = this.#fetch(max);
      const left = deadline - Date.now();
      if (records.length > 0 || left <= 0 || options.signal?.aborted) return records;
      // Held back: the slower reader works in this thread, and reads on in a moment (no append will wake us).
      if (this.#heldBack) await sleep(Math.min(left, HELD_MS), options.signal);
      else await this.#broker.notifier.wait(Math.min(left, HEARTBEAT_MS), options.signal);
    }
  }

  async commit(offsets: TopicPartitionOffset[]): Promise<void> {
    offsets = this.#identity.committable(offsets);
    if (offsets.length === 0) return;
    const now = Date.now();
    const b = this.#broker;
    const group = this.#options.group;
    b.transaction(() => {
      // Fenced by ownership now (a processor's commit also asks since when: see ownsSince): a member that
      // stalled past its session (a GC pause, a SIGSTOP) was counted dead and its partitions dealt to
      // others, who committed on from there; its late commit moved their offsets back (lag wrong, an
      // at-least-once sink sending again). Only partitions this member owns now are committed; a member
      // whose row is gone commits nothing. Still here, it counts as a heartbeat: a long write (a sink
      // retrying) does not make it look dead.
      const alive =
        b.stmt('UPDATE group_members SET heartbeat = ? WHERE grp = ? AND member = ?').run(now, group, this.#member)
          .changes > 0;
      const members = liveMembers(b, group, now);
      // A consumer that never joined commits as Kafka lets a standalone one: only to a group with no members.
      const standalone = this.#epochSeen < 0 && members.length === 0;
      if (!alive && !standalone) return;
      const upsert = b.stmt(
        `INSERT INTO group_offsets(grp, topic, partition, offset, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(grp, topic, partition) DO UPDATE SET offset = excluded.offset, updated_at = excluded.updated_at`,
      );
      for (const o of offsets)
        if (standalone || ownerOf(members, o.topic, o.partition) === this.#member)
          upsert.run(group, o.topic, o.partition, o.offset, now);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#broker.sharedReaders.leave(this);
    // Leaving explicitly lets the other members take our partitions at once instead of after a timeout.
    try {
      this.#broker.transaction(() => {
        const left = this.#broker
          .stmt('DELETE FROM group_members WHERE grp = ? AND member = ?')
          .run(this.#options.group, this.#member).changes;
        bumpEpoch(this.#broker, this.#options.group, Number(left));
      });
    } catch {
      // The broker may already be closed; the session timeout then frees our partitions.
    }
  }

  #fetch(max: number): StreamRecord[] {
    const present = this.#presentTopics();
    const parts = [...this.#assigned.values()].filter((a) => present.has(a.topic));
    if (parts.length === 0) return [];
    const out: StreamRecord[] = [];
    // Two rounds from a rotating partition: first at most a fair share of each, then whatever room is left.
    // Filling the poll from the first partitions with a backlog left a partition of a few records (a
    // feedback loop's, stopcovid's status changes) unread for as many polls as there are partitions, and
    // the loop then turned once every few commits.
    const share = Math.max(1, Math.ceil(max / parts.length));
    const drained = new Set<number>();
    const shared = this.#options.readOnly === true;
    const readers = this.#broker.sharedReaders;
    const now = performance.now();
    this.#heldBack = false;
    for (let i = 0; i < 2 * parts.length && out.length < max; i++) {
      const at = (this.#next + i) % parts.length;
      if (drained.has(at)) continue;
      const a = parts[at]!;
      const room = i < parts.length ? Math.min(share, max - out.length) : max - out.length;
      this.#applySeek(a);
      if (
        shared &&
        readers.aheadOfOthers(
          this,
          a.topicId,
          a.partition,
          a.position,
          {
            partitions: this.#broker.topic(a.topic)?.partitions ?? 1,
            end: () => this.#partitionBounds(a.topicId, a.partition).end,
          },
          now,
        )
      ) {
        this.#heldBack = true;
        drained.add(at);
        continue;
      }
      let rows = this.#broker.readRows(
        a.topicId,
        a.topic,
        a.partition,
        a.position,
        room,
        a.cursor,
        this.#options.readOnly,
      );
      if (rows.length === 0) {
        // Retention may have removed what we were about to read: continue from the oldest record held.
        const start = this.#partitionBounds(a.topicId, a.partition).start;
        if (start > a.position) {
          a.position = start;
          rows = this.#broker.readRows(
            a.topicId,
            a.topic,
            a.partition,
            a.position,
            room,
            a.cursor,
            this.#options.readOnly,
          );
        }
      }
      if (rows.length < room) drained.add(at);
      if (rows.length > 0) {
        a.position = rows[rows.length - 1]!.offset + 1;
        for (const r of rows) out.push(r);
      }
      if (shared) readers.stand(this, a.topicId, a.partition, a.position, now);
    }
    this.#next++;
    this.#identity.handedOut(out);
    return out;
  }

  /**
   * The assigned topics that exist now as the topic this member reads. A deleted topic is skipped (its row
   * id may already belong to another); one created again is handled per ConsumerOptions.onRecreatedTopic:
   * a throw, or its partitions assigned afresh. One indexed lookup per topic per poll.
   */
  #presentTopics(): Set<string> {
    const present = new Set<string>();
    for (const topic of new Set([...this.#assigned.values()].map((a) => a.topic))) {
      const row = this.#broker.refreshTopic(topic);
      if (!row) continue;
      if (this.#identity.recreated(topic, this.#broker.topicId(row))) {
        // From the new topic's beginning (see TopicIdentity).
        for (const [key, a] of this.#assigned) {
          if (a.topic !== topic) continue;
          this.#assigned.delete(key);
          this.#broker.sharedReaders.leave(this, a.topicId, a.partition);
        }
        for (let p = 0; p < row.partitions; p++) this.#pendingSeeks.set(tpKey(topic, p), 'beginning');
        this.#maybeRebalance(true);
      }
      present.add(topic);
    }
    return present;
  }

  #partitionBounds(topicId: number, partition: number): { start: number; end: number } {
    const row = this.#broker
      .stmt('SELECT start_offset AS start, next_offset AS end FROM partitions WHERE topic_id = ? AND partition = ?')
      .get(topicId, partition) as { start: number; end: number } | undefined;
    return row ?? { start: 0, end: 0 };
  }

  #applySeek(a: Assigned): void {
    const key = tpKey(a.topic, a.partition);
    const target = this.#pendingSeeks.get(key);
    if (target === undefined) return;
    this.#pendingSeeks.delete(key);
    if (target === 'committed') {
      a.position = this.#committedPosition(a.topic, a.topicId, a.partition);
      return;
    }
    const { start, end } = this.#partitionBounds(a.topicId, a.partition);
    a.position = target === 'beginning' ? start : target === 'end' ? end : Math.max(start, target);
  }

  #maybeRebalance(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.#lastHeartbeat < HEARTBEAT_MS) return;
    this.#lastHeartbeat = now;
    const { group, topics } = this.#options;
    const b = this.#broker;
    const { members, gap } = b.transaction(() => {
      const had = b.stmt('SELECT 1 FROM group_members WHERE grp = ? AND member = ?').get(group, this.#member);
      b.stmt(
        `INSERT INTO group_members(grp, member, topics, client_id, heartbeat) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(grp, member) DO UPDATE SET heartbeat = excluded.heartbeat`,
      ).run(group, this.#member, JSON.stringify(topics), this.#options.clientId ?? null, now);
      const expired = b
        .stmt('DELETE FROM group_members WHERE grp = ? AND heartbeat < ?')
        .run(group, now - SESSION_TIMEOUT_MS).changes;
      const epoch = bumpEpoch(b, group, (had ? 0 : 1) + Number(expired));
      // Nothing kept from before is ours when our row was gone (the group dropped us, and may have dealt our
      // partitions to others who read and committed them: a member that counts us dead deletes our row
      // first), or when the membership changed more than once since our last look (a partition may have gone
      // to another member and come back). Silence alone is no gap: a group nobody else looked at kept ours.
      const gap = !had || (this.#epochSeen >= 0 && epoch - this.#epochSeen > 1);
      this.#epochSeen = epoch;
      const members = b
        .stmt('SELECT member, topics FROM group_members WHERE grp = ? ORDER BY member')
        .all(group) as Array<{ member: string; topics: string }>;
      return { members, gap };
    });
    const wanted = new Map<string, { topic: string; topicId: number; partition: number }>();
    for (const topic of topics) {
      const t = b.topic(topic) ?? undefined;
      const fresh = t ? b.refreshTopic(topic) : undefined;
      if (!fresh) continue;
      for (let p = 0; p < fresh.partitions; p++) {
        if (ownerOf(members, topic, p) === this.#member)
          wanted.set(tpKey(topic, p), { topic, topicId: fresh.id, partition: p });
      }
    }
    for (const [key, a] of [...this.#assigned]) {
      if (wanted.has(key) && !gap) continue;
      this.#assigned.delete(key);
      this.#broker.sharedReaders.leave(this, a.topicId, a.partition);
    }
    for (const [key, w] of wanted) {
      if (this.#assigned.has(key)) continue;
      this.#assigned.set(key, {
        ...w,
        position: this.#initialPosition(w.topic, w.topicId, w.partition),
        cursor: {},
        since: ++this.#ownerships,
      });
    }
  }

  #initialPosition(topic: string, topicId: number, partition: number): number {
    const committed = this.#broker
      .stmt('SELECT offset FROM group_offsets WHERE grp = ? AND topic = ? AND partition = ?')
      .get(this.#options.group, topic, partition) as { offset: number } | undefined;
    const bounds = this.#partitionBounds(topicId, partition);
    const own = this.#options.positionOnAssign?.(topic, partition);
    if (own === 'beginning') return bounds.start;
    if (own === 'end') return bounds.end;
    if (typeof own === 'number') return Math.min(Math.max(own, bounds.start), bounds.end);
    if (committed) return Math.max(committed.offset, bounds.start);
    return this.#options.startFrom === 'end' ? bounds.end : bounds.start;
  }

  /** The group's committed offset (commits here are SQLite transactions: never in flight), else startFrom. */
  #committedPosition(topic: string, topicId: number, partition: number): number {
    const committed = this.#broker
      .stmt('SELECT offset FROM group_offsets WHERE grp = ? AND topic = ? AND partition = ?')
      .get(this.#options.group, topic, partition) as { offset: number } | undefined;
    const bounds = this.#partitionBounds(topicId, partition);
    if (committed) return Math.min(Math.max(committed.offset, bounds.start), bounds.end);
    return this.#options.startFrom === 'end' ? bounds.end : bounds.start;
  }
}

/**
 * Which member owns a partition: partitions dealt round-robin over the members subscribed to the topic,
 * sorted by id. The same partition number of every topic goes to the same member when they subscribe to
 * the same topics, so co-partitioned inputs (a stream and its table) meet in one task.
 */
export function ownerOf(
  members: Array<{ member: string; topics: string }>,
  topic: string,
  partition: number,
): string | undefined {
  const subscribers = members.filter((m) => (JSON.parse(m.topics) as string[]).includes(topic)).map((m) => m.member);
  return subscribers.length === 0 ? undefined : subscribers[partition % subscribers.length];
}

/** The group's membership epoch: how many times its membership rows changed (see group_epochs). */
export function groupEpoch(broker: LocalBroker, group: string): number {
  const row = broker.stmt('SELECT epoch FROM group_epochs WHERE grp = ?').get(group) as { epoch: number } | undefined;
  return row?.epoch ?? 0;
}

/** Adds `by` membership changes to the group's epoch (in the caller's transaction); returns the epoch. */
export function bumpEpoch(broker: LocalBroker, group: string, by: number): number {
  if (by > 0) {
    broker
      .stmt(
        `INSERT INTO group_epochs(grp, epoch) VALUES (?, ?)
         ON CONFLICT(grp) DO UPDATE SET epoch = epoch + excluded.epoch`,
      )
      .run(group, by);
  }
  return groupEpoch(broker, group);
}

/** The live members of a group, as every member sees them at this moment (sorted by id). */
export function liveMembers(
  broker: LocalBroker,
  group: string,
  now = Date.now(),
): Array<{ member: string; topics: string }> {
  return broker
    .stmt('SELECT member, topics FROM group_members WHERE grp = ? AND heartbeat >= ? ORDER BY member')
    .all(group, now - SESSION_TIMEOUT_MS) as Array<{ member: string; topics: string }>;
}
