import type { z } from 'zod';
import { type Broker, type Consumer, produceAll } from '../broker.ts';
import { Yielder } from '../cooperative.ts';
import { deadLetterForRecord, dlqTopic, misfit, warnDeadLetter } from '../dlq.ts';
import { ErrorCodes, isRunnelError, RunnelError } from '../errors.ts';
import type { Logger } from '../log.ts';
import {
  type OutgoingRecord,
  type StreamRecord,
  type TopicPartitionOffset,
  tpKey,
  WATERMARK_HEADER,
} from '../record.ts';
import type { RecreatedTopic } from '../recreated-topic.ts';
import { retrying } from '../retry.ts';
import type { StatusCell } from '../status-cell.ts';
import { FRESH_START, foreignOutput } from '../stored-output.ts';

export interface ConsumerLoopOptions {
  broker: Broker;
  group: string;
  topics: string[];
  status: StatusCell;
  log: Logger;
  /** Stops polling; the batch in hand is still finished and committed. */
  signal: AbortSignal;
  /** When the component keeps its own positions (exactly-once), they override the group's commits. */
  storedPositions?: () => Promise<TopicPartitionOffset[]>;
  /** How long a batch that is not full waits for more records before it is handled (default 0). */
  lingerMs?: number;
  /** Where those positions live (a sink's file, a processor's state file), for the messages that name it. */
  holder?: string;
  /**
   * Makes the batch's effects durable (write, produce); throwing is retried, never skipped. `records` may
   * be empty when every record was a misfit (see InputShape): the positions must still be kept.
   */
  handle(records: StreamRecord[], positions: TopicPartitionOffset[]): Promise<void>;
  maxRecords?: number;
  /** Retry every handle error (sinks) instead of only retriable ones. */
  retryAlways?: boolean;
  /** The app's input shapes, checked here when no runnel source checked the records (see InputShape). */
  inputShape?: InputShape;
  /** `handle` never changes the records (sinks): see ConsumerOptions.readOnly. */
  readOnly?: boolean;
}

/**
 * Records on an app's input topic that another client wrote (a seed's Python producer, kcat) were never
 * checked by a runnel source. Every consumer of the topic drops the ones that do not fit its app's input
 * shape, so the sinks agree, and one of them dead-letters each, so `<topic>.dlq` holds it once (again
 * only if that consumer's output or state is rebuilt and it reads the topic anew).
 */
export interface InputShape {
  schemas: ReadonlyMap<string, z.ZodType>;
  /** The topics whose misfits this consumer dead-letters (the others' are only skipped). */
  reports: ReadonlySet<string>;
}

/**
 * Raises `positions` to the group's committed positions, every member's (those of partitions moved here, and
 * how far the others got): a drain with several processes waits for all of them. A broker that does not
 * answer leaves them as they are.
 */
export async function raiseToGroup(broker: Broker, group: string, positions: Map<string, number>): Promise<void> {
  for (const g of await broker.listGroups(group).catch(() => [])) {
    const key = tpKey(g.topic, g.partition);
    if ((positions.get(key) ?? -1) < g.committed) positions.set(key, g.committed);
  }
}

/** Whether positions (next offset to read, by tpKey) reach every target: what a drain waits for. */
export function caughtUpTo(positions: ReadonlyMap<string, number>, targets: TopicPartitionOffset[]): boolean {
  return targets.every((t) => (positions.get(tpKey(t.topic, t.partition)) ?? 0) >= t.offset);
}

/** Highest next-offset per partition in a batch: what to commit once the batch is durable. */
export function positionsOf(records: StreamRecord[]): TopicPartitionOffset[] {
  const next = new Map<string, TopicPartitionOffset>();
  // A batch is runs of one partition: its entry is looked up once per run, and moved on in place.
  let cur: TopicPartitionOffset | undefined;
  for (const r of records) {
    if (cur === undefined || cur.partition !== r.partition || cur.topic !== r.topic) {
      const k = tpKey(r.topic, r.partition);
      cur = next.get(k);
      if (!cur) {
        cur = { topic: r.topic, partition: r.partition, offset: r.offset + 1 };
        next.set(k, cur);
      }
    }
    if (cur.offset < r.offset + 1) cur.offset = r.offset + 1;
  }
  return [...next.values()];
}

/**
 * How often a component that resumes from its own store (storedPositions: the exactly-once sinks) commits
 * to the group. Those offsets only show its lag and let a drain see it caught up; committing after every
 * batch was a broker transaction (a heartbeat, the members, the offsets) per batch and sink: 750 in a
 * 500k-record `run buzz` into three sinks. Commits still come whenever it has read everything and at its end.
 */
export const STORED_COMMIT_EVERY_MS = 200;

/**
 * The at-least-once loop shared by processors and sinks: poll, make the batch durable, then commit. A
 * failing handle is retried with backoff holding the same batch, so a slow or dead target slows only
 * its own consumer (bounded memory: one batch), never the broker or other components.
 */
export class ConsumerLoop {
  readonly positions = new Map<string, number>();
  /** With storedPositions: the next offset the component's own store holds, per partition. */
  readonly #stored = new Map<string, number>();
  /** TopicInfo.id per topic, stored with the positions so the output knows which topic it holds. */
  readonly #topicIds = new Map<string, string>();
  #consumer: Consumer | undefined;
  #groupRead = 0;
  /**
   * storedPositions: positions its store holds and the group does not show yet (written since the last
   * commit, or found in the store at its start), and when it last committed.
   */
  readonly #uncommitted = new Map<string, TopicPartitionOffset>();
  #committedAt = 0;
  readonly #o: ConsumerLoopOptions;
  readonly #ready = Promise.withResolvers<void>();
  /**
   * Settles once the loop knows where it resumes: its stored output checked against the broker (rejects
   * with OUTPUT_FROM_OTHER_BROKER), or the group's commits read. The pipeline starts sources after it.
   */
  readonly ready = this.#ready.promise;

  constructor(options: ConsumerLoopOptions) {
    this.#o = options;
    this.ready.catch(() => {}); // run() reports the same failure
  }

  /** The partitions its consumer owns now; undefined before it runs. Others' positions here are stale. */
  assigned(): Array<{ topic: string; partition: number }> | undefined {
    const c = this.#consumer;
    return c?.knownAssignment ? c.knownAssignment() : c?.assignment();
  }

  /** True when this component has committed at least `targets` (next offsets) on every partition. */
  caughtUp(targets: TopicPartitionOffset[]): boolean {
    return caughtUpTo(this.positions, targets);
  }

  /**
   * The group's committed positions, every member's, at most once a second: a drain waits for the whole
   * group, not only for the partitions this process holds. Workers sharing a data folder write one output
   * (one group): without this each waited for ever for partitions the others wrote, and a JSONL sink
   * waiting for another worker's file lock never started at all (the task runner reads its group alike).
   */
  async refreshFromGroup(): Promise<void> {
    if (Date.now() - this.#groupRead < 1000) return;
    this.#groupRead = Date.now();
    await raiseToGroup(this.#o.broker, this.#o.group, this.positions);
  }

  async run(): Promise<void> {
    const o = this.#o;
    const retry = { signal: o.signal, log: o.log, status: o.status };
    try {
      // A broker blip at start is retried like any other; output from another broker is not retriable.
      await retrying(
        `${o.status.status.name}: resume`,
        async () => {
          if (o.storedPositions) await this.#loadStored();
          else
            for (const g of await o.broker.listGroups(o.group))
              this.positions.set(tpKey(g.topic, g.partition), g.committed);
        },
        retry,
      );
    } catch (err) {
      this.#ready.reject(err);
      throw err;
    }
    this.#ready.resolve();
    const consumer = o.broker.consumer({
      group: o.group,
      topics: o.topics,
      clientId: o.group,
      ...(o.readOnly ? { readOnly: true } : {}),
      // The component's own store is the truth, at join and whenever a rebalance hands a partition back.
      // A partition it never wrote is read from the start, so deleting a sink's file rebuilds it. A topic
      // deleted and created again under it is another stream its positions say nothing about: stop.
      ...(o.storedPositions
        ? {
            positionOnAssign: (t: string, p: number) => this.#stored.get(tpKey(t, p)) ?? ('beginning' as const),
            onRecreatedTopic: 'fail' as const,
            topicIds: this.#topicIds,
          }
        : {}),
    });
    this.#consumer = consumer;
    try {
      o.status.set('ok');
      // With a backlog on the local broker, poll, write and commit all settle at once: yield now and then.
      const yielder = new Yielder();
      while (!o.signal.aborted) {
        await yielder.turn();
        if (o.signal.aborted) break;
        const max = o.maxRecords ?? 2000;
        const records = await retrying(
          `${o.status.status.name}: poll`,
          () => consumer.poll({ maxRecords: max, maxWaitMs: 250, signal: o.signal }),
          retry,
        ).catch((err) => {
          throw this.#explain(err);
        });
        // A batch begun gathers what comes within lingerMs: a sink that kept up wrote each source batch
        // as it came (1000 records), with its transaction and fsyncs each time.
        const lingerUntil = performance.now() + (o.lingerMs ?? 0);
        while (records.length > 0 && records.length < max && !o.signal.aborted) {
          const left = lingerUntil - performance.now();
          if (left <= 0) break;
          // Not retried: a failing poll ends the gathering, and the next batch's poll retries and reports it.
          const more = await consumer
            .poll({ maxRecords: max - records.length, maxWaitMs: left, signal: o.signal })
            .catch(() => []);
          if (more.length === 0) break;
          for (const r of more) records.push(r);
        }
        if (records.length === 0) {
          await retrying(
            `${o.status.status.name}: commit`,
            async () => {
              await this.#commitStored(consumer);
              await this.#skipGaps(consumer);
            },
            retry,
          );
          continue;
        }
        const fresh = o.storedPositions ? this.#notYetStored(records) : records;
        if (fresh.length === 0) continue;
        const positions = positionsOf(fresh);
        // Watermark markers (a topic a pipeline writes with carryWatermark) are read, not written.
        const data = fresh.filter((r) => r.headers[WATERMARK_HEADER] === undefined);
        const fit = o.inputShape ? await this.#dropMisfits(data, o.inputShape) : data;
        for (const p of positions) {
          const id = this.#topicIds.get(p.topic);
          if (id !== undefined) p.topicId = id;
        }
        // A polled batch is finished even if stopping was asked meanwhile (retrying only gives up on a
        // stop after a failure): that makes SIGTERM a clean stop, consumed == committed. Abandoning a
        // failing batch on stop is safe too: it was not committed, so it is read again on restart.
        const name = o.status.status.name;
        // A batch of misfits only is still written, as positions: an exactly-once sink or a processor's
        // state must record them as read, or every restart reads and dead-letters them again.
        await retrying(`${name}: write`, () => o.handle(fit, positions), {
          ...retry,
          always: o.retryAlways ?? false,
        });
        if (o.storedPositions) {
          for (const p of positions) {
            this.#stored.set(tpKey(p.topic, p.partition), p.offset);
            this.#uncommitted.set(tpKey(p.topic, p.partition), p);
          }
          if (performance.now() - this.#committedAt >= STORED_COMMIT_EVERY_MS)
            await retrying(`${name}: commit`, () => this.#commitStored(consumer), retry);
        } else await retrying(`${name}: commit`, () => consumer.commit(positions), retry);
        for (const p of positions) this.positions.set(tpKey(p.topic, p.partition), p.offset);
        o.status.status.records += fit.length;
        o.status.status.ts = Date.now();
      }
      o.status.set('stopped');
    } catch (err) {
      if (!o.signal.aborted) o.status.set('failed', (err as Error).message);
      else o.status.set('stopped');
      if (!o.signal.aborted) throw err;
    } finally {
      // What its store holds already: a commit that fails now only leaves the lag shown a little high.
      await this.#commitStored(consumer).catch(() => {});
      await consumer.close().catch(() => {});
      this.#consumer = undefined;
    }
  }

  /**
   * Commits the positions a storedPositions component wrote since its last commit (see STORED_COMMIT_EVERY_MS),
   * of the partitions it owns now. One a rebalance took away is its new owner's to commit: Kafka fences a
   * commit by generation only, so this member's deferred position, committed after the owner's, moved the
   * group's offset back for good once the owner had nothing left to write there (and a drain of this
   * worker, raised by refreshFromGroup, waited for it). Kept for when the partition comes back.
   */
  async #commitStored(consumer: Consumer): Promise<void> {
    if (this.#uncommitted.size === 0) return;
    const owned = new Set(
      (consumer.knownAssignment?.() ?? consumer.assignment()).map((a) => tpKey(a.topic, a.partition)),
    );
    const positions = [...this.#uncommitted.values()].filter((p) => owned.has(tpKey(p.topic, p.partition)));
    if (positions.length === 0) return;
    await consumer.commit(positions);
    for (const p of positions)
      if (this.#uncommitted.get(tpKey(p.topic, p.partition)) === p)
        this.#uncommitted.delete(tpKey(p.topic, p.partition));
    this.#committedAt = performance.now();
  }

  /**
   * With nothing left to hand out, commits past what the consumer skipped (Kafka's transaction markers
   * after an engine step's last output): otherwise the group's offset stays one short of the end and a
   * drain never sees this component caught up. Nothing is written: an exactly-once sink that resumes from
   * its own stored position reads the marker again, and skips it again.
   */
  async #skipGaps(consumer: Consumer): Promise<void> {
    if (!consumer.position) return;
    const moved: TopicPartitionOffset[] = [];
    for (const { topic, partition } of consumer.assignment()) {
      const at = consumer.position(topic, partition);
      if (at !== undefined && at > (this.positions.get(tpKey(topic, partition)) ?? -1))
        moved.push({ topic, partition, offset: at });
    }
    if (moved.length === 0) return;
    await consumer.commit(moved);
    for (const p of moved) this.positions.set(tpKey(p.topic, p.partition), p.offset);
  }

  /** The records that fit their topic's input shape; the others dead-lettered (by one consumer) and skipped. */
  async #dropMisfits(records: StreamRecord[], shape: InputShape): Promise<StreamRecord[]> {
    const o = this.#o;
    const fit: StreamRecord[] = [];
    const dead = new Map<string, OutgoingRecord[]>();
    for (const r of records) {
      const check = shape.schemas.get(r.topic)?.safeParse(r.value);
      if (!check || check.success) {
        fit.push(r);
        continue;
      }
      if (!shape.reports.has(r.topic)) continue;
      const error = misfit(r.topic, `${r.topic}@${r.partition}:${r.offset}`, check.error, r.value);
      const name = o.status.status.name;
      warnDeadLetter(o.log, name, `${name}: ${error.message} (sent to ${dlqTopic(r.topic)})`);
      const list = dead.get(dlqTopic(r.topic)) ?? [];
      list.push(deadLetterForRecord(r, error));
      dead.set(dlqTopic(r.topic), list);
    }
    for (const [topic, letters] of dead) {
      // Durable before the batch's positions are: a crash re-reads the misfits, it never loses them.
      await produceAll(o.broker, topic, letters, `${o.status.status.name}: dead letters`, {
        signal: o.signal,
        log: o.log,
        status: o.status,
      });
      o.status.status.dlq += letters.length;
    }
    return fit.length === records.length ? records : fit;
  }

  /** A recreated topic (the consumer's TOPIC_RECREATED) told in terms of this component's output. */
  #explain(err: unknown): unknown {
    if (!isRunnelError(err) || err.code !== ErrorCodes.TOPIC_RECREATED) return err;
    const r = err.value as RecreatedTopic;
    return new RunnelError(
      ErrorCodes.OUTPUT_FROM_OTHER_BROKER,
      `${this.#o.status.status.name}: topic ${r.topic} was deleted and created again while it ran (id ${r.before}, now ${r.now}); ` +
        `${this.#holder()} holds the old one: ${FRESH_START}`,
    );
  }

  #holder(): string {
    return this.#o.holder ? `its output (${this.#o.holder})` : 'its output';
  }

  async #loadStored(): Promise<void> {
    const o = this.#o;
    const held = await o.storedPositions!();
    for (const p of held) this.#stored.set(tpKey(p.topic, p.partition), p.offset);
    for (const topic of o.topics) {
      const info = await o.broker.describeTopic(topic);
      const foreign = foreignOutput(topic, info, held, o.broker.url);
      if (foreign) {
        throw new RunnelError(
          ErrorCodes.OUTPUT_FROM_OTHER_BROKER,
          `${o.status.status.name}: ${this.#holder()} ${foreign}; ${FRESH_START}`,
        );
      }
      if (info?.id !== undefined) this.#topicIds.set(topic, info.id);
      for (const p of info?.partitions ?? []) {
        const key = tpKey(topic, p.partition);
        this.positions.set(key, this.#stored.get(key) ?? p.startOffset);
      }
    }
    // A store ahead of the group (stopped by kill -9 within STORED_COMMIT_EVERY_MS of a write) is committed
    // once it runs: with nothing left to write, no batch would, and the group showed that lag for good.
    const committed = new Map<string, number>();
    for (const g of await o.broker.listGroups(o.group))
      if (g.group === o.group) committed.set(tpKey(g.topic, g.partition), g.committed);
    for (const p of held) {
      const key = tpKey(p.topic, p.partition);
      if (o.topics.includes(p.topic) && p.offset > (committed.get(key) ?? -1)) this.#uncommitted.set(key, p);
    }
  }

  /**
   * Drops records the component already holds: a guard against any rewind (a fetch answered for an old
   * position, a broker that resets a partition), so an exactly-once store never sees an offset twice.
   */
  #notYetStored(records: StreamRecord[]): StreamRecord[] {
    let out: StreamRecord[] | undefined;
    // The stored position looked up once per run of one partition.
    let runTopic: string | undefined;
    let runPartition = -1;
    let stored = -1;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (r.partition !== runPartition || r.topic !== runTopic) {
        runTopic = r.topic;
        runPartition = r.partition;
        stored = this.#stored.get(tpKey(r.topic, r.partition)) ?? -1;
      }
      const below = r.offset < stored;
      if (below && !out) out = records.slice(0, i);
      else if (!below && out) out.push(r);
    }
    return out ?? records;
  }

  get consumer(): Consumer | undefined {
    return this.#consumer;
  }
}
