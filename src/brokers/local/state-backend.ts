import type { AtomicCommit, Consumer, StateBackend, StoreChanges } from '../../core/broker.ts';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import type { LocalBroker } from './local-broker.ts';
import { groupEpoch, LocalConsumer, liveMembers, ownerOf } from './local-consumer.ts';

/**
 * Processors' keyed state in the broker's own file, as a log of changes: a commit appends one row per
 * store partition holding the keys it changed, in the same SQLite transaction as the outputs and the
 * group's positions, so a kill -9 leaves all of a batch or none of it, and state goes wherever the broker
 * file goes. Appending keeps a checkpoint's cost in the keys changed: updating rows in place cost a page
 * write per changed key, which grew with the keys held (a 1k-key commit took 101 ms at 1M keys held
 * against 7.6 ms at 10k). The log is compacted to the latest value per key once it holds more entries
 * than twice the keys held (and than 2 × COMPACT_MIN), so restore stays proportional to the state.
 */
/** [key, value, expiresAt or null] for a write; [key] for a delete. */
type LogEntry = [string, unknown, number | null] | [string];

/** A log under twice this many entries is never compacted: compaction is for logs that outgrow their state. */
const COMPACT_MIN = 25_000;
/**
 * Nor one under twice this many bytes. Counting entries alone let a store of a few large values grow for
 * ever: the users app's model, one key of ~87 KB rewritten at every commit, logged 27 MB a minute and
 * would have been compacted at 50,000 entries, some 4 GB.
 */
const COMPACT_MIN_BYTES = 16 * 1024 * 1024;

export class LocalStateBackend implements StateBackend {
  /** A commit is one local transaction: it takes the input already there instead of waiting for more. */
  readonly gatherMs = 0;
  readonly #broker: LocalBroker;
  readonly #app: string;
  /** Entries in each store partition's log, to know when to compact it. */
  readonly #logged = new Map<string, number>();
  /** Keys each store partition held at its last compaction. */
  readonly #live = new Map<string, number>();
  /** Bytes of each store partition's log, and of its latest values at the last compaction. */
  readonly #loggedBytes = new Map<string, number>();
  readonly #liveBytes = new Map<string, number>();

  constructor(broker: LocalBroker, app: string) {
    this.#broker = broker;
    this.#app = app;
  }

  async prepare(): Promise<void> {
    // One row per commit and store partition: a JSON array of LogEntry.
    this.#broker.db.exec(`CREATE TABLE IF NOT EXISTS state_log(
      store TEXT NOT NULL,
      partition INTEGER NOT NULL,
      entries INTEGER NOT NULL,
      changes TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS state_log_by_store ON state_log(store, partition)`);
  }

  async restore(
    store: string,
    partition: number,
    each: (key: string, value: unknown, expiresAt: number | undefined) => void,
  ): Promise<{ entries: number; ms: number }> {
    await this.prepare();
    const started = performance.now();
    const latest = this.#fold(this.#name(store), partition);
    for (const [key, [value, expiresAt]] of latest) each(key, value, expiresAt ?? undefined);
    return { entries: latest.size, ms: performance.now() - started };
  }

  /** The latest value per key of one store partition, from its log in commit order. */
  #fold(store: string, partition: number): Map<string, [unknown, number | null]> {
    const latest = new Map<string, [unknown, number | null]>();
    const rows = this.#broker
      .stmt('SELECT changes FROM state_log WHERE store = ? AND partition = ? ORDER BY rowid')
      .iterate(store, partition) as Iterable<{ changes: string }>;
    for (const row of rows) {
      for (const e of JSON.parse(row.changes) as LogEntry[]) {
        if (e.length === 1) latest.delete(e[0]);
        else latest.set(e[0], [e[1], e[2]]);
      }
    }
    return latest;
  }

  /**
   * Rewrites a store partition's log as its latest values, inside the commit's transaction: fenced with
   * it (a member that lost the partition compacts nothing) and undone with it. The task's store holds
   * exactly what this commit makes durable, so its content is written as it is: folding the log read back
   * and parsed every entry it ever logged, which for a store of short-lived keys (records held until a
   * watermark) is far more than it holds. Returns the keys and bytes written.
   */
  #compact(store: string, partition: number, held: StoreChanges['latest']): { keys: number; bytes: number } {
    const b = this.#broker;
    const latest = held
      ? held()
      : [...this.#fold(store, partition)].map(([key, [value, expiresAt]]) => [key, value, expiresAt] as const);
    b.stmt('DELETE FROM state_log WHERE store = ? AND partition = ?').run(store, partition);
    const add = b.stmt('INSERT INTO state_log(store, partition, entries, changes) VALUES (?, ?, ?, ?)');
    let chunk: LogEntry[] = [];
    let bytes = 0;
    const flush = () => {
      if (chunk.length === 0) return;
      const text = serialise(store, chunk);
      add.run(store, partition, chunk.length, text);
      bytes += text.length;
      chunk = [];
    };
    let keys = 0;
    for (const [key, value, expiresAt] of latest) {
      chunk.push([key, value, expiresAt ?? null]);
      keys++;
      if (chunk.length >= 10_000) flush();
    }
    flush();
    return { keys, bytes };
  }

  #loggedEntries(store: string, partition: number): number {
    const row = this.#broker
      .stmt('SELECT COALESCE(SUM(entries), 0) AS n FROM state_log WHERE store = ? AND partition = ?')
      .get(store, partition) as { n: number };
    return row.n;
  }

  #loggedBytesOf(store: string, partition: number): number {
    const row = this.#broker
      .stmt('SELECT COALESCE(SUM(length(changes)), 0) AS n FROM state_log WHERE store = ? AND partition = ?')
      .get(store, partition) as { n: number };
    return row.n;
  }

  async commit(consumer: Consumer, c: AtomicCommit): Promise<void> {
    if (!(consumer instanceof LocalConsumer))
      throw new Error('the local state backend commits for local consumers only');
    const b = this.#broker;
    for (const { topic } of c.outputs) if (!b.topic(topic)) await b.createTopic(topic);
    const now = Date.now();
    // Serialised before the transaction: a value JSON cannot hold (a BigInt, a cycle) fails the commit
    // as the processor's fault, with nothing written.
    const rows = c.state.map((s) => ({
      store: this.#name(s.store),
      partition: s.partition,
      held: s.held,
      latest: s.latest,
      entries: s.changes.length,
      changes: serialise(
        s.store,
        s.changes.map((ch): LogEntry => (ch.value === undefined ? [ch.key] : [ch.key, ch.value, ch.expiresAt ?? null])),
      ),
    }));
    const counts: Array<{ k: string; logged: number; bytes: number; live?: { keys: number; bytes: number } }> = [];
    b.transaction(() => {
      // Fencing: inside the write lock, this member must still own every partition it commits. A member
      // that joined or a member declared dead since our last heartbeat moved partitions: commit nothing.
      const members = liveMembers(b, consumer.group, now);
      const epoch = groupEpoch(b, consumer.group);
      for (const p of c.positions) {
        if (ownerOf(members, p.topic, p.partition) !== consumer.memberId || !consumer.ownsSince(p, epoch)) {
          throw new RunnelError(
            ErrorCodes.FENCED,
            `${p.topic} partition ${p.partition} moved to another member of ${consumer.group} during the batch`,
          );
        }
      }
      for (const { topic, records } of c.outputs) if (records.length > 0) b.append(topic, records);
      const add = b.stmt('INSERT INTO state_log(store, partition, entries, changes) VALUES (?, ?, ?, ?)');
      for (const s of rows) add.run(s.store, s.partition, s.entries, s.changes);
      const upsert = b.stmt(
        `INSERT INTO group_offsets(grp, topic, partition, offset, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(grp, topic, partition) DO UPDATE SET offset = excluded.offset, updated_at = excluded.updated_at`,
      );
      for (const p of c.positions) upsert.run(consumer.group, p.topic, p.partition, p.offset, now);
      // Compaction in the same transaction: fenced by the check above, and a commit retried after a
      // failed compaction appends nothing twice. Counters change only once it commits.
      for (const s of rows) {
        const k = `${s.store}\u0000${s.partition}`;
        const logged = (this.#logged.get(k) ?? this.#loggedEntries(s.store, s.partition) - s.entries) + s.entries;
        const bytes =
          (this.#loggedBytes.get(k) ?? this.#loggedBytesOf(s.store, s.partition) - s.changes.length) + s.changes.length;
        // Keys held as the task says, else as the last compaction found: the log may reach twice that; and
        // twice the bytes its latest values took at the last compaction.
        const held = s.held ?? this.#live.get(k) ?? 0;
        const liveBytes = this.#liveBytes.get(k) ?? 0;
        if (logged > 2 * Math.max(COMPACT_MIN, held) || bytes > 2 * Math.max(COMPACT_MIN_BYTES, liveBytes)) {
          const done = this.#compact(s.store, s.partition, s.latest);
          counts.push({ k, logged: done.keys, bytes: done.bytes, live: done });
        } else counts.push({ k, logged, bytes });
      }
    });
    if (c.outputs.length > 0) b.notifier.notify();
    for (const { k, logged, bytes, live } of counts) {
      this.#logged.set(k, logged);
      this.#loggedBytes.set(k, bytes);
      if (live) {
        this.#live.set(k, live.keys);
        this.#liveBytes.set(k, live.bytes);
      }
    }
  }

  async close(): Promise<void> {}

  #name(store: string): string {
    return `${this.#app}/${store}`;
  }
}

/** A commit's log entries as JSON; a value JSON cannot hold fails the commit, naming its key. */
function serialise(store: string, entries: LogEntry[]): string {
  try {
    return JSON.stringify(entries);
  } catch (err) {
    const bad = entries.find((e) => {
      try {
        JSON.stringify(e);
        return false;
      } catch {
        return true;
      }
    });
    throw new RunnelError(
      ErrorCodes.PROCESSING_FAILED,
      `store ${store}, key ${bad?.[0] ?? '?'}: its value cannot be stored as JSON (${(err as Error).message})`,
      { cause: err },
    );
  }
}
