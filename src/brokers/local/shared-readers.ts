/**
 * A reader more than this many records ahead of a slower shared reader of the same partition (in this
 * process) lets it catch up before reading on: the broker keeps ~128 decoded batches of up to 1000 records
 * per topic, so within a quarter of that the slower one still finds what the faster one decoded.
 */
export const HOLD_LEAD_RECORDS = 32_000;
/**
 * Further behind than this, the slower reader's batches are no longer kept whatever the faster one does
 * (a sink added later, filling its table from the topic's start): waiting for it would only stall the
 * faster one, so it reads on.
 */
export const HOLD_MAX_RECORDS = 96_000;
/** A reader that has not moved for this long (a sink retrying, a loop that stopped) holds nobody back. */
export const STILL_MS = 1000;

interface Standing {
  /** The next offset it reads. */
  at: number;
  /** When `at` last changed. */
  moved: number;
}

/**
 * Where this process's shared readers (its sinks and the steps that read the batches they share, see
 * ConsumerOptions.readOnly) stand on each partition, so one that runs ahead waits for one that works behind
 * it. In `consume --drain` over a filled topic, buzz's stats step ran ahead of its sqlite sink, past the
 * decoded batches kept for it, and the sink parsed six in ten batches a second time (a third of the run).
 * In `run` the sources' back-pressure (backlogGate) keeps every reader near the end already.
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
    if (!s) readers.set(reader, { at, moved: now });
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
  aheadOfOthers(reader: object, topicId: number, partition: number, at: number, now = performance.now()): boolean {
    const readers = this.#byPartition.get(`${topicId}:${partition}`);
    if (!readers) return false;
    for (const [other, s] of readers) {
      if (other === reader || now - s.moved > STILL_MS) continue;
      const lead = at - s.at;
      if (lead > HOLD_LEAD_RECORDS && lead <= HOLD_MAX_RECORDS) return true;
    }
    return false;
  }
}
