import type { StreamRecord } from '../record.ts';

/**
 * A table-joining task's stream records, read and not processed yet: they wait until the task's tables have
 * caught up (every table record written so far is in the task's state), so a join finds the latest value
 * written before it, whatever order the polls brought the topics in. Kafka Streams orders a task's inputs by
 * time (max.task.idle.ms); runnel's join is with the latest value, and record times of a table fed by a
 * producer (wall clock) and a stream's event times (a replay of 2020) need not be comparable, so the table
 * goes first. A table whose read position does not move for a while (its end out of reach: a partition the
 * broker will not serve) does not hold the stream for ever; nor does a held backlog past `HOLD_MAX_RECORDS`.
 */
export class HeldStream {
  readonly #records: StreamRecord[] = [];
  /** The tables' read positions when they last moved, and when that was (ms, the runner's clock). */
  #tables = '';
  #movedAt = 0;

  get size(): number {
    return this.#records.length;
  }

  hold(records: StreamRecord[], from: number, to: number): void {
    for (let i = from; i < to; i++) this.#records.push(records[i]!);
  }

  /** The first `max` records held, in the order read (each partition's in offset order), no longer held. */
  take(max = Number.POSITIVE_INFINITY): StreamRecord[] {
    return this.#records.splice(0, max);
  }

  /**
   * Whether the tables, read up to `tables` (their positions, as one string), have not moved for `stallMs`.
   * The first look starts the clock.
   */
  stalled(tables: string, now: number, stallMs: number): boolean {
    if (tables !== this.#tables) {
      this.#tables = tables;
      this.#movedAt = now;
      return false;
    }
    return now - this.#movedAt >= stallMs;
  }
}
