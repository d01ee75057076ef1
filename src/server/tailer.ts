import type { Broker } from '../core/broker.ts';
import type { StreamRecord } from '../core/record.ts';

export type TailListener = (records: StreamRecord[]) => void;

export interface TailerOptions {
  /** Records kept per partition for history on load. */
  history: number;
  /** Most records read per partition per poll; further behind than `skipAfter`, the tail jumps ahead. */
  maxPerPoll: number;
  skipAfter: number;
  /** How long a topic nobody watches is still tailed, so a reload or reconnect finds its history warm. */
  lingerMs: number;
}

interface PartitionState {
  next: number;
  ring: StreamRecord[];
}

interface TopicTail {
  parts: Map<number, PartitionState>;
  listeners: Set<TailListener>;
  idleSince: number | undefined;
}

const DEFAULTS: TailerOptions = { history: 500, maxPerPoll: 20_000, skipAfter: 100_000, lingerMs: 60_000 };

/**
 * Follows topics with `broker.read` (no consumer group: the dashboard must never hold back, rebalance or
 * commit for the pipelines it watches). One tail per topic is shared by every panel and browser tab.
 * Polls and subscriptions run one at a time, so a new subscriber's history and its first live records
 * neither overlap nor leave a gap.
 */
export class Tailer {
  readonly #broker: Broker;
  readonly #o: TailerOptions;
  readonly #tails = new Map<string, TopicTail>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(broker: Broker, options: Partial<TailerOptions> = {}) {
    this.#broker = broker;
    this.#o = { ...DEFAULTS, ...options };
  }

  /** The topic's recent records (oldest first per partition), then every new one through `listener`. */
  subscribe(topic: string, listener: TailListener): Promise<{ history: StreamRecord[]; close: () => void }> {
    return this.#serial(async () => {
      let tail = this.#tails.get(topic);
      if (!tail) {
        tail = { parts: new Map(), listeners: new Set(), idleSince: undefined };
        this.#tails.set(topic, tail);
        await this.#pollTopic(topic, tail);
      }
      tail.listeners.add(listener);
      tail.idleSince = undefined;
      const t = tail;
      return {
        history: [...t.parts.values()].flatMap((p) => p.ring),
        close: () => {
          t.listeners.delete(listener);
          if (t.listeners.size === 0) t.idleSince = Date.now();
        },
      };
    });
  }

  /** One round over every tailed topic; listeners get what arrived since the last round. */
  poll(): Promise<void> {
    return this.#serial(async () => {
      const now = Date.now();
      for (const [topic, tail] of this.#tails) {
        if (tail.idleSince !== undefined && now - tail.idleSince > this.#o.lingerMs) {
          this.#tails.delete(topic);
          continue;
        }
        const records = await this.#pollTopic(topic, tail);
        if (records.length === 0) continue;
        for (const l of tail.listeners) l(records);
      }
    });
  }

  /**
   * Evenly spaced single records from before the history window: a long topic's shape (a cumulative
   * count, a slow temperature curve) in a few hundred reads instead of the whole log.
   */
  async sample(topic: string, count: number): Promise<StreamRecord[]> {
    const info = await this.#broker.describeTopic(topic);
    const out: StreamRecord[] = [];
    for (const p of info?.partitions ?? []) {
      const upTo = Math.max(p.startOffset, p.endOffset - this.#o.history);
      const span = upTo - p.startOffset;
      if (span <= 0) continue;
      const step = Math.max(1, Math.floor(span / count));
      let last = -1;
      for (let off = p.startOffset; off < upTo; off += step) {
        const [r] = await this.#broker.read(topic, p.partition, off, 1);
        // An offset that holds no record (a Kafka transaction's commit marker, a compacted one) reads the
        // next record: taken once only, and not past upTo, where the tail's history begins.
        if (r && r.offset > last && r.offset < upTo) out.push(r);
        if (r) last = Math.max(last, r.offset);
      }
    }
    return out;
  }

  async #pollTopic(topic: string, tail: TopicTail): Promise<StreamRecord[]> {
    const info = await this.#broker.describeTopic(topic).catch(() => undefined);
    if (!info) return [];
    const out: StreamRecord[] = [];
    const { history, maxPerPoll, skipAfter } = this.#o;
    for (const p of info.partitions) {
      let state = tail.parts.get(p.partition);
      const recreated = state !== undefined && p.endOffset < state.next;
      if (!state || recreated || p.endOffset - state.next > skipAfter) {
        state = { next: Math.max(p.startOffset, p.endOffset - history), ring: !state || recreated ? [] : state.ring };
        tail.parts.set(p.partition, state);
      }
      state.next = Math.max(state.next, p.startOffset);
      while (state.next < p.endOffset) {
        const batch = await this.#broker.read(
          topic,
          p.partition,
          state.next,
          Math.min(maxPerPoll, p.endOffset - state.next),
        );
        if (batch.length === 0) break;
        state.next = batch[batch.length - 1]!.offset + 1;
        for (const r of batch) out.push(r);
        for (const r of batch.length > history ? batch.slice(-history) : batch) state.ring.push(r);
        if (batch.length >= maxPerPoll) break;
      }
    }
    for (const state of tail.parts.values()) {
      if (state.ring.length > history) state.ring.splice(0, state.ring.length - history);
    }
    return out;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }
}
