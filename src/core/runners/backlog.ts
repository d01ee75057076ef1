import { sleep } from '../backoff.ts';
import { type Broker, endOffsets } from '../broker.ts';
import { type TopicPartitionOffset, tpKey } from '../record.ts';
import type { StatusCell } from '../status-cell.ts';

/** A consumer of this process the sources may wait for: how far it has committed, and whether it works. */
export interface Paced {
  loop: {
    caughtUp(targets: TopicPartitionOffset[]): boolean;
    /**
     * The partitions it reads now, when it can say: those another process of its group owns are not its
     * backlog (its positions of them are as old as its start, and would hold the sources back for ever).
     */
    assigned?(): Array<{ topic: string; partition: number }> | undefined;
    /** Reads how far the rest of its group got (see ConsumerLoop.refreshFromGroup). */
    refreshFromGroup?(): Promise<void>;
  };
  inputs: string[];
  status: StatusCell;
}

/**
 * Records a working consumer may lag behind a topic's end (over all its partitions) before the sources of
 * its process wait. The local broker keeps the batches it appended decoded for its readers (128 batches);
 * a sink further behind than that read and parsed every batch again: a third of `run buzz`'s time into
 * three sinks. Kafka's readers gain nothing from it, but a backlog that only grows is no use there either.
 */
export const BACKLOG_RECORDS = 20_000;
/** How often a source looks at the backlog (each look reads every topic's end). */
const LOOK_EVERY_MS = 5;
/** A look at the backlog quicker than this (on average) is made before the source's next batch, not beside it. */
const QUICK_LOOK_MS = 2;
/** A backlog nobody works off for this long is not waited for: a consumer stuck is not a brake. */
const STUCK_MS = 1000;

/**
 * Back-pressure between a run's sources and its consumers in the same process, as in Flink (credits) or
 * any bounded queue: at `--rate 0` a source put records on the topic far faster than the sinks took
 * them. Only consumers that work hold a source back: one that retries (a dead sink) or stands still is
 * left behind, its input kept durably on the topic for when it returns.
 */
export function backlogGate(
  broker: Broker,
  consumers: Paced[],
  signal: AbortSignal,
  backlog = BACKLOG_RECORDS,
): () => Promise<void> | undefined {
  const topics = [...new Set(consumers.flatMap((c) => c.inputs))];
  let lookedAt = 0;
  // Per consumer: its record count when last seen and when that count last changed.
  const seen = consumers.map((c) => ({ records: c.status.status.records, moved: performance.now() }));
  const stopped = new Promise<undefined>((resolve) => {
    if (signal.aborted) resolve(undefined);
    else signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
  const holding = async (): Promise<boolean> => {
    // A broker that does not answer holds nothing back: the source meets it in its produce, and retries.
    // Nor does a stop: a look at a broker that hangs must not hold Ctrl-C.
    const ends = await Promise.race([endOffsets(broker, topics).catch(() => undefined), stopped]);
    if (!ends) return false;
    const now = performance.now();
    try {
      return consumers.some((c, i) => behind(c, i, ends, now));
    } catch {
      // A consumer that cannot say where it is holds nothing back; a look runs unawaited, so it never throws.
      return false;
    }
  };
  /** Whether consumer `i` works and is more than the backlog behind on a partition it reads. */
  const behind = (c: Paced, i: number, ends: TopicPartitionOffset[], now: number): boolean => {
    const s = seen[i]!;
    if (c.status.status.records !== s.records) {
      s.records = c.status.status.records;
      s.moved = now;
    }
    if (c.status.status.state !== 'ok' || now - s.moved > STUCK_MS) return false;
    const owned = c.loop.assigned?.();
    const reads = owned && new Set(owned.map((a) => tpKey(a.topic, a.partition)));
    const mine = ends.filter((e) => c.inputs.includes(e.topic) && (!reads || reads.has(tpKey(e.topic, e.partition))));
    if (mine.length === 0) return false;
    // The backlog spread over the partitions: a consumer is behind when it is on any one of them.
    const share = Math.max(1, Math.floor(backlog / Math.max(1, mine.length)));
    return !c.loop.caughtUp(mine.map((e) => ({ ...e, offset: e.offset - share })));
  };
  // A look that answers at once (the local broker: a query of its file) is waited for, so the batch it
  // follows goes only once the backlog allows: a source of big batches (stopcovid's 100k positions a
  // tick) otherwise ran two batches ahead of the check, past the decoded batches kept for its readers.
  // A slow one (Kafka: a round trip) runs beside the source, and only a backlog it found is waited for,
  // by the source's next batch.
  let looking = false;
  let lookMs = 0;
  let waiting: Promise<void> | undefined;
  const look = async () => {
    looking = true;
    const started = performance.now();
    try {
      const behind = await holding();
      // Smoothed: one slow look on a loaded machine must not turn a local broker's gate into Kafka's.
      lookMs = 0.8 * lookMs + 0.2 * (performance.now() - started);
      if (!behind) return;
      waiting = (async () => {
        while (!signal.aborted && (await holding())) await sleep(5, signal);
      })().finally(() => {
        waiting = undefined;
      });
      if (lookMs < QUICK_LOOK_MS) await waiting;
    } finally {
      looking = false;
      lookedAt = performance.now();
    }
  };
  return () => {
    if (waiting) return waiting;
    // A slow look (Kafka: metadata and offsets requests) is made at most a twentieth of the time.
    const every = Math.max(LOOK_EVERY_MS, 20 * lookMs);
    if (consumers.length === 0 || looking || performance.now() - lookedAt < every) return undefined;
    const looked = look();
    return lookMs < QUICK_LOOK_MS ? looked : undefined;
  };
}
