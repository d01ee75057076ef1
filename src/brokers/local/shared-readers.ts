/**
 * A reader more than this many records of a topic ahead of a slower shared reader of the same partition
 * (in this process) lets it catch up before reading on: the broker keeps ~128 decoded batches of up to 1000
 * records per topic, so within a quarter of that the slower one still finds what the faster one decoded.
 * Spread over the topic's partitions, as the batches kept are.
 */
export const HOLD_LEAD_RECORDS = 32_000;
/**
 * Further behind than this, the slower reader's batches are no longer kept whatever the faster one does
 * (a sink added later, filling its table from the topic's start): waiting for it would only stall the
 * faster one, so it reads on. Spread over the partitions too.
 */
export const HOLD_MAX_RECORDS = 96_000;
/**
 * A reader that has neither moved nor waited for another for this long (a sink retrying, a loop that
 * stopped) holds nobody back.
 */
export const STILL_MS = 1000;

interface Standing {
  /** The next offset it reads. */
  at: number;
  /** When `at` last changed. */
  moved: number;
  /** When it last waited for a slower reader: waiting, it works, and holds back those ahead of it. */
  held: number;
}

/** What aheadOfOthers needs to know of the partition beyond the readers. */
export interface PartitionShape {
  /** The topic's partition count: the decoded batches kept are shared by them all. */
  partitions: number;
  /** The partition's end offset, asked only when some reader is behind. */
  end: () => number;
}

/**
 * Where this process's shared readers (its sinks and the steps that read the batches they share, see
 * ConsumerOptions.readOnly) stand on each partition, so one that runs ahead waits for one that works behind
 * it. In `consume --drain` over a filled topic, buzz's stats step ran ahead of its sqlite sink, past the
 * decoded batches kept for it, and the sink parsed six in ten batches a second time (0.7 s of a 5.4 s run).
 * In `run` the sources' back-pressure (backlogGate) keeps every reader near the end already. Only a reader
 * with a backlog of its own waits: one at the live end keeps up with the input (a step's outputs feed the
 * dashboard) whatever a slow sink beside it does.
 */
export class SharedReaders {
  readonly #byPartition = new Map<string, Map<object, Standing>>();

  /** `reader` reads `partition` of topic `topicId` from `at` next. */
  stand(reader: object, topicId: number, partition: number, at: number, now = performance.now()): void {
    const key = `${topicId}:${partition}`;
    let readers = this.#byPartition.get(key);
    if (!readers) {
      readers = new Map();
      this.#byPartition.set(key, readers);
    }
    const s = readers.get(reader);
    if (!s) readers.set(reader, { at, moved: now, held: -Infinity });
    else if (s.at !== at) {
      s.at = at;
      s.moved = now;
    }
  }

  /** `reader` no longer reads `partition` (moved to another member), or anything (closed). */
  leave(reader: object, topicId?: number, partition?: number): void {
    if (topicId !== undefined) {
      this.#byPartition.get(`${topicId}:${partition}`)?.delete(reader);
      return;
    }
    for (const readers of this.#byPartition.values()) readers.delete(reader);
  }

  /** Whether `reader`, about to read from `at`, should first let a slower reader that works catch up. */
  aheadOfOthers(
    reader: object,
    topicId: number,
    partition: number,
    at: number,
    shape: PartitionShape,
    now = performance.now(),
  ): boolean {
    const readers = this.#byPartition.get(`${topicId}:${partition}`);
    if (!readers) return false;
    const parts = Math.max(1, shape.partitions);
    const lead = HOLD_LEAD_RECORDS / parts;
    const most = HOLD_MAX_RECORDS / parts;
    let slower = false;
    for (const [other, s] of readers) {
      if (other === reader || now - Math.max(s.moved, s.held) > STILL_MS) continue;
      const ahead = at - s.at;
      if (ahead > lead && ahead <= most) {
        slower = true;
        break;
      }
    }
    if (!slower || shape.end() - at <= lead) return false;
    const mine = readers.get(reader);
    if (mine) mine.held = now;
    return true;
  }
}
