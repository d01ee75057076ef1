import { dirname, resolve } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { sleep } from '../../core/backoff.ts';
import type {
  Consumer,
  ConsumerOptions,
  GroupOffset,
  ProduceOptions,
  StateBackend,
  StatefulBroker,
  TopicConfig,
  TopicInfo,
} from '../../core/broker.ts';
import { ErrorCodes, isPermanent, RunnelError } from '../../core/errors.ts';
import { Partitioner } from '../../core/partitioner.ts';
import { makeFolder } from '../../core/places.ts';
import type { OutgoingRecord, RecordPosition, StreamRecord } from '../../core/record.ts';
import { LocalConsumer } from './local-consumer.ts';
import { type Notifier, notifierFor } from './notifier.ts';
import { isPlain, NOT_PLAIN, plainCopy } from './plain-copy.ts';
import { applySchema, brokerId } from './schema.ts';
import { SharedReaders } from './shared-readers.ts';
import { LocalStateBackend } from './state-backend.ts';

interface TopicRow {
  id: number;
  name: string;
  created_at: number;
  partitions: number;
  retention_ms: number | null;
  retention_bytes: number | null;
}

/** One record inside a batch payload: key, value, event time, headers. */
type PayloadRecord = [string | null, unknown, number, Record<string, string> | null];

/**
 * A parsed batch this process's read-only consumers share (see readRows): its records, and the StreamRecords
 * made of them the first time one of them took the batch, handed to the others as they are. Each reader
 * making its own (four readers of buzz's messages: 2M objects a 500k run) was a tenth of the run in
 * allocation and collection; a sink never changes a record, and a processor copies what it keeps.
 */
interface SharedBatch {
  rows: PayloadRecord[];
  built?: StreamRecord[];
}

/** The headers of a shared record that has none (see SharedBatch). */
const NO_HEADERS: Record<string, string> = Object.freeze({});

/** A parsed batch a consumer has started on: the rest is served without parsing the payload again. */
export interface BatchCursor {
  base: number;
  last: number;
  records: PayloadRecord[];
  /** The offset this reader takes next; the cursor serves only a read that starts exactly there. */
  next: number;
  /** The batch as the process's read-only consumers share it, when this reader is one. */
  shared?: SharedBatch;
}

/** Default retention by append time, as Kafka's `log.retention.hours=168`. */
export const DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000;
const RETENTION_CHECK_MS = 5000;
/**
 * Parsed batches kept per process and topic for its other consumers (each up to MAX_BATCH_RECORDS
 * records). A process's readers drift apart (a processor ahead of a slower sink): at 64, `run buzz --limit
 * 500000` parsed 881 of its 500 batches, at 128 each once, for ~45 MB more at the peak. Per topic: one
 * commit of a stage's outputs (stopcovid's people, 100 batches a tick) evicted the batches of another topic
 * its readers had not reached yet, and nine in ten of stopcovid's positions were parsed again.
 */
const PARSED_BATCHES = 128;
/** And in all, over the topics: the largest gives way first. */
const PARSED_BATCHES_IN_ALL = 256;
/** Batch places one read asks SQLite for at a time (a read of 2000 records spans 2 or 3 batches). */
const PLACES_PER_QUERY = 8;
/** Records per stored batch: bounds what a consumer parses to return a few records from a big produce. */
export const MAX_BATCH_RECORDS = 1000;

/** Every query parameter a local: URL understands; anything else is a typo that would be silently ignored. */
const KNOWN_PARAMS = ['fsync'];

/** Parses `local:<path>[?fsync=true]`; the path is relative to the working directory. */
export function parseLocalUrl(url: string): { path: string; fsync: boolean } {
  const invalid = (message: string, value: unknown) =>
    new RunnelError(ErrorCodes.BROKER_URL_INVALID, `local broker URL "${url}"${message}`, { value });
  const rest = url.replace(/^local:(\/\/)?/, '');
  const [pathPart = '', query = ''] = rest.split('?');
  if (!pathPart) throw invalid(' has no file path', url);
  const q = new URLSearchParams(query);
  const unknown = [...new Set(q.keys())].filter((k) => !KNOWN_PARAMS.includes(k));
  if (unknown.length > 0) {
    const names = unknown.map((k) => `"${k}"`).join(', ');
    throw invalid(
      `: unknown parameter${unknown.length > 1 ? 's' : ''} ${names} (known: ${KNOWN_PARAMS.join(', ')})`,
      unknown,
    );
  }
  const fsync = q.get('fsync') ?? 'false';
  if (fsync !== 'true' && fsync !== 'false') {
    throw invalid(`: fsync must be true or false (got ${JSON.stringify(fsync)})`, fsync);
  }
  return { path: pathPart === ':memory:' ? pathPart : resolve(pathPart), fsync: fsync === 'true' };
}

/**
 * The embedded broker: a durable log in one SQLite file (WAL), shared by every process that opens it.
 * A produce is one transaction, so a kill -9 leaves either the whole batch or none of it.
 */
export class LocalBroker implements StatefulBroker {
  readonly url: string;
  readonly kind = 'local';
  /** A produce is one stored batch of records, with nothing between them. */
  readonly offsetsAreRecords = true;
  /** A produce is one SQLite transaction (see Broker.atomicProduce). */
  readonly atomicProduce = true;
  readonly path: string;
  readonly #fsync: boolean;
  #db: DatabaseSync | undefined;
  #notifier: Notifier;
  #topics = new Map<string, TopicRow>();
  #stmts = new Map<string, StatementSync>();
  #lastRetention = 0;
  readonly #partitioner = new Partitioner();
  #brokerId = '';
  /**
   * Batches parsed recently, shared by this process's read-only consumers (runnel's sinks, which never
   * change what they read); every other consumer parses its own copy, free to change it.
   */
  readonly #parsed = new Map<number, Map<string, SharedBatch>>();
  /** Where this process's shared readers stand, so one far ahead lets a slower one catch up (see SharedReaders). */
  readonly sharedReaders = new SharedReaders();
  /** Topics a reader of this process shares decoded batches of: what it appends to them is kept decoded. */
  readonly #sharedTopics = new Set<number>();
  /** The decoded copies the open transaction appended, for the cache once it commits (see transaction). */
  #kept: Array<{ topicId: number; key: string; batch: SharedBatch }> | undefined;

  constructor(url: string) {
    this.url = url;
    const { path, fsync } = parseLocalUrl(url);
    this.path = path;
    this.#fsync = fsync;
    this.#notifier = notifierFor(path);
  }

  async connect(): Promise<void> {
    if (this.#db) return;
    // SQLite answers "database is locked" at once, without waiting out the busy timeout, when two
    // processes open a new file together (one switching it to WAL while the other reads its header):
    // CI saw it when `produce` and `consume` started in the same instant. Retrying the open is safe.
    const deadline = Date.now() + OPEN_TIMEOUT_MS;
    for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
      try {
        this.#db = this.#open();
        break;
      } catch (err) {
        if (!isBusy(err) || Date.now() + wait > deadline) throw this.#openError(err);
        await sleep(wait);
      }
    }
    this.#notifier.acquire();
  }

  #open(): DatabaseSync {
    if (this.path !== ':memory:') makeFolder(dirname(this.path));
    const db = new DatabaseSync(this.path, { timeout: OPEN_TIMEOUT_MS });
    try {
      // Before WAL, so a new file takes it: batches are ~100-300 KB, and 16 KiB pages make their overflow
      // chains and checkpoints cheaper (produce 0.45 -> 0.6 M rec/s measured). Existing files keep theirs.
      db.exec('PRAGMA page_size=16384');
      db.exec('PRAGMA journal_mode=WAL');
      // NORMAL in WAL mode survives process crashes; FULL adds an fsync per commit for power loss.
      db.exec(`PRAGMA synchronous=${this.#fsync ? 'FULL' : 'NORMAL'}`);
      applySchema(db);
      this.#brokerId = brokerId(db);
      return db;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  #openError(err: unknown): RunnelError {
    // A place that can never hold the file (or a file that is not a broker) is not a broker that is down.
    const permanent = isPermanent(err);
    return new RunnelError(
      permanent ? ErrorCodes.OUTPUT_UNWRITABLE : ErrorCodes.BROKER_UNAVAILABLE,
      `cannot open local broker file ${this.path}: ${(err as Error).message}` +
        (permanent ? '; give --broker local:<a file in a folder you can write>' : ''),
      { cause: err, value: this.path },
    );
  }

  async close(): Promise<void> {
    if (!this.#db) return;
    this.#notifier.release();
    this.#stmts.clear();
    this.#db.close();
    this.#db = undefined;
  }

  /** Processors' state lives in this same file (see LocalStateBackend); `group` is fenced by membership. */
  stateBackend(app: string, _group: string): StateBackend {
    return new LocalStateBackend(this, app);
  }

  get db(): DatabaseSync {
    if (!this.#db) throw new RunnelError(ErrorCodes.BROKER_UNAVAILABLE, `local broker ${this.path} is not connected`);
    return this.#db;
  }

  get notifier(): Notifier {
    return this.#notifier;
  }

  stmt(sql: string): StatementSync {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  /** Runs `fn` in a write transaction; IMMEDIATE takes the write lock up front so two processes queue. */
  transaction<T>(fn: () => T): T {
    // Nested: part of the caller's transaction (a processor's atomic commit appends through produce's code).
    if (this.db.isTransaction) return fn();
    this.db.exec('BEGIN IMMEDIATE');
    const kept: Array<{ topicId: number; key: string; batch: SharedBatch }> = [];
    this.#kept = kept;
    try {
      const out = fn();
      this.db.exec('COMMIT');
      // Decoded copies of what this transaction appended join the cache only now: a rolled-back batch's
      // row id is given out again, and its copy would then stand for another batch.
      for (const { topicId, key, batch } of kept) this.#keepParsed(topicId, key, batch);
      return out;
    } catch (err) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw err;
    } finally {
      this.#kept = undefined;
    }
  }

  topic(name: string): TopicRow | undefined {
    let t = this.#topics.get(name);
    // Another process may have created or grown the topic since we cached it; re-read when asked about
    // an unknown one, and refresh partition counts on describe.
    if (!t) {
      t = this.stmt(
        'SELECT id, name, partitions, retention_ms, retention_bytes, created_at FROM topics WHERE name = ?',
      ).get(name) as TopicRow | undefined;
      if (t) this.#topics.set(name, t);
    }
    return t;
  }

  /** TopicInfo.id: the row id alone could be reused after a delete; its creation time makes it this topic's. */
  topicId(t: TopicRow): string {
    return `${this.#brokerId}/${t.id}/${t.created_at}`;
  }

  refreshTopic(name: string): TopicRow | undefined {
    this.#topics.delete(name);
    return this.topic(name);
  }

  async createTopic(name: string, config: TopicConfig = {}): Promise<void> {
    validateTopicName(name);
    const partitions = config.partitions ?? 1;
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new RunnelError(
        ErrorCodes.CONFIG_INVALID,
        `topic ${name}: partitions must be an integer >= 1 (got ${partitions})`,
      );
    }
    this.transaction(() => {
      // Strictly increasing in this file: a topic deleted and created again within a millisecond gets its
      // old row id back, and only its creation time then tells the two apart (see topicId).
      const { last } = this.stmt(
        `SELECT max(coalesce((SELECT CAST(v AS INTEGER) FROM meta WHERE k = 'topic_created_at'), 0),
                    coalesce((SELECT max(created_at) FROM topics), 0)) AS last`,
      ).get() as { last: number };
      const createdAt = Math.max(Date.now(), last + 1);
      this.stmt(
        `INSERT INTO meta(k, v) VALUES ('topic_created_at', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v`,
      ).run(String(createdAt));
      this.stmt(
        `INSERT INTO topics(name, partitions, retention_ms, retention_bytes, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET partitions = max(partitions, excluded.partitions),
           retention_ms = coalesce(excluded.retention_ms, retention_ms),
           retention_bytes = coalesce(excluded.retention_bytes, retention_bytes)`,
      ).run(name, partitions, config.retentionMs ?? null, config.retentionBytes ?? null, createdAt);
      const row = this.stmt('SELECT id, partitions FROM topics WHERE name = ?').get(name) as {
        id: number;
        partitions: number;
      };
      const insert = this.stmt('INSERT OR IGNORE INTO partitions(topic_id, partition) VALUES (?, ?)');
      for (let p = 0; p < row.partitions; p++) insert.run(row.id, p);
    });
    this.refreshTopic(name);
  }

  async deleteTopic(name: string): Promise<void> {
    const t = this.refreshTopic(name);
    if (!t) return;
    this.transaction(() => {
      for (const table of ['batches', 'partitions']) {
        this.stmt(`DELETE FROM ${table} WHERE topic_id = ?`).run(t.id);
      }
      this.stmt('DELETE FROM group_offsets WHERE topic = ?').run(name);
      this.stmt('DELETE FROM topics WHERE id = ?').run(t.id);
    });
    this.#topics.delete(name);
    this.#parsed.delete(t.id);
    this.#sharedTopics.delete(t.id);
  }

  async listTopics(): Promise<TopicInfo[]> {
    const names = this.stmt('SELECT name FROM topics ORDER BY name').all() as Array<{ name: string }>;
    const out: TopicInfo[] = [];
    for (const { name } of names) {
      const info = await this.describeTopic(name);
      if (info) out.push(info);
    }
    return out;
  }

  async describeTopic(name: string): Promise<TopicInfo | undefined> {
    const t = this.refreshTopic(name);
    if (!t) return undefined;
    const parts = this.stmt(
      'SELECT partition, start_offset AS startOffset, next_offset AS endOffset FROM partitions WHERE topic_id = ? ORDER BY partition',
    ).all(t.id) as Array<{ partition: number; startOffset: number; endOffset: number }>;
    return {
      name,
      id: this.topicId(t),
      partitions: parts.map((p) => ({ partition: p.partition, startOffset: p.startOffset, endOffset: p.endOffset })),
      retentionMs: t.retention_ms ?? DEFAULT_RETENTION_MS,
      ...(t.retention_bytes === null ? {} : { retentionBytes: t.retention_bytes }),
    };
  }

  async produce(topic: string, records: OutgoingRecord[], options?: ProduceOptions): Promise<RecordPosition[]> {
    if (records.length === 0) return [];
    if (!this.topic(topic)) await this.createTopic(topic);
    const positions = this.append(topic, records, options?.handOver === true);
    this.#notifier.notify();
    const now = Date.now();
    if (now - this.#lastRetention > RETENTION_CHECK_MS) {
      this.#lastRetention = now;
      this.enforceRetention(now);
    }
    return positions;
  }

  /**
   * Appends records to an existing topic in one transaction (or as part of the caller's): what produce
   * does, minus creating the topic and waking consumers, so a processor's atomic commit can use it.
   * `handOver`: see ProduceOptions.
   */
  append(topic: string, records: OutgoingRecord[], handOver = false): RecordPosition[] {
    let t = this.topic(topic);
    if (!t) throw new RunnelError(ErrorCodes.TOPIC_NOT_FOUND, `topic ${topic} does not exist on ${this.url}`);
    const positions: RecordPosition[] = new Array(records.length);
    const now = Date.now();
    // Serialise before taking the write lock: the lock is shared with every other process.
    let { byPartition, payloads } = this.#serialise(topic, t.partitions, records, now);
    // Copies for this process's readers of the topic (see plainCopy), kept once the outermost transaction
    // (this append's, or a processor's atomic commit it is part of) has committed. Records handed over
    // are kept as they are (the rows are this append's own arrays): copying them cost a tenth of a run.
    const keep = this.#sharedTopics.has(t.id);
    this.transaction(() => {
      const kept = this.#kept!;
      // The partition count may have grown in another process; re-read inside the lock.
      const fresh = this.stmt('SELECT partitions FROM topics WHERE id = ?').get(t!.id) as { partitions: number };
      if (fresh.partitions !== t!.partitions) {
        t = this.refreshTopic(topic)!;
        // Keys hash by the count there is now: the first batch after another process grew the topic went
        // where the old count put it, another partition than every batch after it.
        ({ byPartition, payloads } = this.#serialise(topic, t.partitions, records, now));
      }
      const getNext = this.stmt('SELECT next_offset FROM partitions WHERE topic_id = ? AND partition = ?');
      const setNext = this.stmt('UPDATE partitions SET next_offset = ? WHERE topic_id = ? AND partition = ?');
      const addBatch = this.stmt(
        `INSERT INTO batches(topic_id, partition, base_offset, last_offset, appended_at, bytes, payload)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const [partition, { indices, rows }] of byPartition) {
        const r = getNext.get(t!.id, partition) as { next_offset: number } | undefined;
        if (!r) throw new RunnelError(ErrorCodes.CONFIG_INVALID, `topic ${topic} has no partition ${partition}`);
        let offset = r.next_offset;
        const chunks = payloads.get(partition)!;
        for (let c = 0, from = 0; from < rows.length; c++, from += MAX_BATCH_RECORDS) {
          const count = Math.min(MAX_BATCH_RECORDS, rows.length - from);
          const payload = chunks[c]!;
          const { lastInsertRowid } = addBatch.run(
            t!.id,
            partition,
            offset,
            offset + count - 1,
            now,
            payload.length,
            payload,
          );
          if (keep) {
            const part = rows.length <= MAX_BATCH_RECORDS ? rows : rows.slice(from, from + count);
            const copy = handOver ? (isPlain(part) ? part : NOT_PLAIN) : plainCopy(part);
            if (copy !== NOT_PLAIN)
              kept.push({
                topicId: t!.id,
                key: batchKey(t!.id, partition, offset, now, Number(lastInsertRowid)),
                batch: { rows: copy as PayloadRecord[] },
              });
          }
          for (let k = 0; k < count; k++) {
            positions[indices[from + k]!] = { topic, partition, offset: offset + k };
          }
          offset += count;
        }
        setNext.run(offset, t!.id, partition);
      }
    });
    return positions;
  }

  /**
   * Records grouped by the partition each goes to, and each partition's stored batches as JSON: one JSON array
   * of [key, value, timestamp, headers] rows per batch, made by one JSON.stringify (a string per record
   * joined afterwards cost twice as much).
   */
  #serialise(
    topic: string,
    partitions: number,
    records: OutgoingRecord[],
    now: number,
  ): { byPartition: Map<number, { indices: number[]; rows: PayloadRecord[] }>; payloads: Map<number, string[]> } {
    const byPartition = new Map<number, { indices: number[]; rows: PayloadRecord[] }>();
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const partition = this.#partitioner.choose(topic, partitions, r);
      const ts = typeof r.timestamp === 'number' && Number.isFinite(r.timestamp) ? Math.trunc(r.timestamp) : now;
      const headers = r.headers && Object.keys(r.headers).length > 0 ? r.headers : null;
      let group = byPartition.get(partition);
      if (!group) {
        group = { indices: [], rows: [] };
        byPartition.set(partition, group);
      }
      group.indices.push(i);
      group.rows.push([r.key ?? null, r.value, ts, headers]);
    }
    const payloads = new Map<number, string[]>();
    for (const [partition, { rows }] of byPartition) {
      const chunks: string[] = [];
      for (let from = 0; from < rows.length; from += MAX_BATCH_RECORDS)
        chunks.push(
          JSON.stringify(
            from === 0 && rows.length <= MAX_BATCH_RECORDS ? rows : rows.slice(from, from + MAX_BATCH_RECORDS),
          ),
        );
      payloads.set(partition, chunks);
    }
    return { byPartition, payloads };
  }

  #keepParsed(topicId: number, key: string, batch: SharedBatch): void {
    let kept = this.#parsed.get(topicId);
    if (!kept) {
      kept = new Map();
      this.#parsed.set(topicId, kept);
    }
    if (kept.size >= PARSED_BATCHES) kept.delete(kept.keys().next().value!);
    kept.set(key, batch);
    let all = 0;
    let largest = kept;
    for (const m of this.#parsed.values()) {
      all += m.size;
      if (m.size > largest.size) largest = m;
    }
    if (all > PARSED_BATCHES_IN_ALL) largest.delete(largest.keys().next().value!);
  }

  /** Drops whole produce batches past a topic's age or size limit; returns records removed. */
  enforceRetention(now = Date.now()): number {
    let removed = 0;
    const topics = this.stmt('SELECT id, retention_ms, retention_bytes FROM topics').all() as Array<{
      id: number;
      retention_ms: number | null;
      retention_bytes: number | null;
    }>;
    for (const t of topics) {
      const maxAge = t.retention_ms ?? DEFAULT_RETENTION_MS;
      const parts = this.stmt('SELECT partition, start_offset FROM partitions WHERE topic_id = ?').all(t.id) as Array<{
        partition: number;
        start_offset: number;
      }>;
      for (const p of parts) {
        let cut = (
          this.stmt(
            'SELECT max(last_offset) AS o FROM batches WHERE topic_id = ? AND partition = ? AND appended_at < ?',
          ).get(t.id, p.partition, now - maxAge) as { o: number | null }
        ).o;
        if (t.retention_bytes !== null) {
          const batches = this.stmt(
            'SELECT last_offset, bytes FROM batches WHERE topic_id = ? AND partition = ? ORDER BY last_offset DESC',
          ).all(t.id, p.partition) as Array<{ last_offset: number; bytes: number }>;
          let total = 0;
          for (const b of batches) {
            total += b.bytes;
            if (total > t.retention_bytes) {
              cut = Math.max(cut ?? -1, b.last_offset);
              break;
            }
          }
        }
        if (cut === null || cut < p.start_offset) continue;
        // The newest batch stays whatever its age, as Kafka never deletes a partition's active segment: a
        // source that resumes after the newest record it wrote (stopcovid's tick) must still find it.
        const newest = this.stmt('SELECT max(base_offset) AS b FROM batches WHERE topic_id = ? AND partition = ?').get(
          t.id,
          p.partition,
        ) as { b: number | null };
        if (newest.b === null) continue;
        cut = Math.min(cut, newest.b - 1);
        if (cut < p.start_offset) continue;
        removed += this.#dropThrough(t.id, p.partition, cut);
      }
    }
    return removed;
  }

  /** Removes the stored batches of a partition that end at or before `cut`; returns the records removed. */
  #dropThrough(topicId: number, partition: number, cut: number): number {
    return this.transaction(() => {
      const held = this.stmt(
        `SELECT coalesce(sum(last_offset - base_offset + 1), 0) AS n FROM batches
         WHERE topic_id = ? AND partition = ? AND last_offset <= ?`,
      ).get(topicId, partition, cut) as { n: number };
      this.stmt('DELETE FROM batches WHERE topic_id = ? AND partition = ? AND last_offset <= ?').run(
        topicId,
        partition,
        cut,
      );
      this.stmt('UPDATE partitions SET start_offset = max(start_offset, ?) WHERE topic_id = ? AND partition = ?').run(
        cut + 1,
        topicId,
        partition,
      );
      return held.n;
    });
  }

  /** See Broker.deleteRecordsBefore: whole stored batches only, so a few records before `offset` may stay. */
  async deleteRecordsBefore(topic: string, partition: number, offset: number): Promise<void> {
    const t = this.topic(topic);
    if (!t) return;
    const { o: cut } = this.stmt(
      'SELECT max(last_offset) AS o FROM batches WHERE topic_id = ? AND partition = ? AND last_offset < ?',
    ).get(t.id, partition, offset) as { o: number | null };
    if (cut !== null) this.#dropThrough(t.id, partition, cut);
  }

  consumer(options: ConsumerOptions): Consumer {
    return new LocalConsumer(this, options);
  }

  async listGroups(group?: string): Promise<GroupOffset[]> {
    const rows = this.stmt(
      `SELECT g.grp AS grp, g.topic AS topic, g.partition AS partition, g.offset AS committed, p.next_offset AS endOffset
       FROM group_offsets g JOIN topics t ON t.name = g.topic
       JOIN partitions p ON p.topic_id = t.id AND p.partition = g.partition
       WHERE (? IS NULL OR g.grp = ?) ORDER BY g.grp, g.topic, g.partition`,
    ).all(group ?? null, group ?? null) as Array<{
      grp: string;
      topic: string;
      partition: number;
      committed: number;
      endOffset: number;
    }>;
    return rows.map((r) => ({
      group: r.grp,
      topic: r.topic,
      partition: r.partition,
      committed: r.committed,
      endOffset: r.endOffset,
      lag: Math.max(0, r.endOffset - r.committed),
    }));
  }

  async read(topic: string, partition: number, fromOffset: number, maxRecords: number): Promise<StreamRecord[]> {
    const t = this.topic(topic);
    if (!t) return [];
    return this.readRows(t.id, topic, partition, fromOffset, maxRecords);
  }

  /**
   * Records `from`… (at most `max`) of one partition. Offsets within a partition are contiguous, so the
   * batches that hold them are exactly those overlapping [from, from + max - 1]. A consumer passes its own
   * `cursor` so a batch it stopped inside is not parsed again. A `shared` read (a read-only consumer) gets
   * the very records this process's other read-only consumers get (see SharedBatch); any other read gets
   * records and values of its own.
   */
  readRows(
    topicId: number,
    topic: string,
    partition: number,
    from: number,
    max: number,
    cursor?: { current?: BatchCursor },
    shared = false,
  ): StreamRecord[] {
    const out: StreamRecord[] = [];
    if (max <= 0) return out;
    /** The record at `i` of a batch; `none`: its headers when it has none. */
    const recordAt = (b: BatchCursor, i: number, none: Record<string, string>): StreamRecord => {
      const r = b.records[i]!;
      return { topic, partition, offset: b.base + i, key: r[0], value: r[1], timestamp: r[2], headers: r[3] ?? none };
    };
    const take = (b: BatchCursor) => {
      let i = Math.max(0, from - b.base);
      const sb = b.shared;
      if (sb !== undefined) {
        // Made once, by the first read-only reader to take the batch. One frozen {} for every record without
        // headers: kept with the batch, a {} each was 40% of the records' memory, and a reader writing to
        // it would have written to every reader's.
        if (sb.built === undefined) sb.built = Array.from(b.records, (_, k) => recordAt(b, k, NO_HEADERS));
        const built = sb.built;
        for (; i < built.length && out.length < max; i++) out.push(built[i]!);
      }
      for (; i < b.records.length && out.length < max; i++) out.push(recordAt(b, i, {}));
      from = b.base + i;
      // Stopped inside this batch: keep it for this reader's next read.
      if (cursor && from <= b.last) {
        b.next = from;
        cursor.current = b;
      }
    };
    if (shared) this.#sharedTopics.add(topicId);
    const cached = cursor?.current;
    if (cursor) cursor.current = undefined;
    if (cached && from === cached.next) take(cached);
    if (out.length >= max) return out;
    // The batches' places first, payloads only for batches this process has not parsed yet: the
    // consumers of one process (a processor and three sinks reading one topic) parse each batch once.
    // A few places at a time, in offset order, stopping at the first batch past the range: a condition on
    // base_offset in the query made SQLite walk every batch to the partition's end on each read (the
    // index is by last_offset), which cost a read of a long backlog time quadratic in its length.
    const places = this.stmt(
      `SELECT base_offset, last_offset, appended_at, rowid FROM batches
       WHERE topic_id = ? AND partition = ? AND last_offset >= ? ORDER BY last_offset LIMIT ${PLACES_PER_QUERY}`,
    );
    // Arrays instead of row objects: consuming is the hot path.
    places.setReturnArrays(true);
    const payloadOf = this.stmt('SELECT payload FROM batches WHERE rowid = ?');
    payloadOf.setReturnArrays(true);
    for (;;) {
      const to = from + max - out.length - 1;
      const rows = places.all(topicId, partition, from) as unknown as Array<[number, number, number, number]>;
      for (const [base, last, appendedAt, rowid] of rows) {
        if (base > to) return out;
        const key = batchKey(topicId, partition, base, appendedAt, rowid);
        const kept = shared ? this.#parsed.get(topicId) : undefined;
        // Kept in the order they came, not moved to the end when read: readers go forward through a topic,
        // so a batch read is the one to drop first, not a newer one nobody has read yet (a stage reading a
        // tick of stopcovid's positions behind the next tick's append parsed nine in ten of them again).
        let batch = kept?.get(key);
        if (!batch) {
          const row = payloadOf.get(rowid) as unknown as [string] | undefined;
          if (!row) continue; // removed by retention between the two reads
          batch = { rows: JSON.parse(row[0]) as PayloadRecord[] };
          if (shared) this.#keepParsed(topicId, key, batch);
        }
        take({ base, last, records: batch.rows, next: base, ...(shared ? { shared: batch } : {}) });
        if (out.length >= max) return out;
      }
      if (rows.length < PLACES_PER_QUERY) return out;
      // Every place of this query read: on from the last one (take moved `from` past it, unless
      // retention removed it, and then past it anyway).
      from = Math.max(from, rows[rows.length - 1]![1] + 1);
    }
  }
}

/**
 * Names one stored batch in the decoded-batch cache, for the append that keeps it and the read that finds
 * it: its place, append time and row id, so a batch removed and a new one stored there is another key.
 */
const batchKey = (topicId: number, partition: number, base: number, appendedAt: number, rowid: number): string =>
  `${topicId}:${partition}:${base}:${appendedAt}:${rowid}`;

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/** Same rule as Kafka, so a topic that works locally also works on a cluster. */
export function validateTopicName(name: string): void {
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..') {
    throw new RunnelError(
      ErrorCodes.CONFIG_INVALID,
      `topic name "${name}" is invalid: use 1-249 letters, digits, '.', '_' or '-'`,
      { value: name },
    );
  }
}

const OPEN_TIMEOUT_MS = 15_000;

function isBusy(err: unknown): boolean {
  const e = err as { errcode?: number; message?: string };
  // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes in the low byte.
  return (
    ((e.errcode ?? 0) & 0xff) === 5 || ((e.errcode ?? 0) & 0xff) === 6 || /database is locked/.test(e.message ?? '')
  );
}
