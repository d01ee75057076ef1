import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client, ClientBase } from 'pg';
import type { Sink, SinkContext, SinkWriteOptions, SinkWriteResult } from '../../../core/connector.ts';
import { ErrorCodes, isRunnelError, RunnelError } from '../../../core/errors.ts';
import type { StreamRecord, TopicPartitionOffset } from '../../../core/record.ts';
import {
  type Cell,
  type Column,
  inferColumns,
  keyColumn,
  META_COLUMNS,
  notRecordColumns,
  quoted,
  rowOf,
  type TableSinkConfig,
  upsertColumn,
} from '../columns.ts';
import { notStored } from '../stored-positions.ts';
import { copyChunks, copyField, copyLine } from './copy-text.ts';
import { displayUrl, type PostgresSinkConfig, tableConfig } from './spec.ts';

/** A record and its cells, ready to insert. */
type Row = { r: StreamRecord; cells: Cell[] };
/** A record of a batch: its cells, or why the table cannot hold it. */
type Checked = { r: StreamRecord; cells?: Cell[]; error?: RunnelError };

const SQL_TYPE = {
  text: 'TEXT',
  integer: 'BIGINT',
  real: 'DOUBLE PRECISION',
  boolean: 'BOOLEAN',
  json: 'JSONB',
  uuid: 'UUID',
} as const;
/** The array type each column's values are sent as (one parameter per column, see #insertRows). */
const ARRAY_TYPE = {
  text: 'text[]',
  integer: 'bigint[]',
  real: 'float8[]',
  boolean: 'boolean[]',
  json: 'jsonb[]',
  uuid: 'uuid[]',
} as const;
const META_ARRAYS = ['text[]', 'int[]', 'bigint[]', 'text[]', 'bigint[]'];
/**
 * From this many rows a batch is written through COPY; below it, one INSERT from unnest(...) is faster:
 * COPY through the staging table costs two more round trips and a truncation at commit, about 3 ms a
 * batch (measured: 0.5× at 50 rows, 0.9× at 1,000, even at 1,500, 1.25× at 2,000, 1.3× at 5,000, 1.5× at
 * 20,000). 1,500 rather than 2,000, a full poll: a table-mode batch counts its keys, and a full poll with a
 * key twice still goes through COPY. `direct: false` keeps every COPY to the staging table (see
 * #copyRows). Tests move both to run each path.
 */
export const copyThreshold = { rows: 1500, direct: true };
/** How many COPY batches went straight into their table, how many were staged, and how many of the direct
 * tries met a row already there. For tests, which check which path a batch took. */
export const copyCounts = { direct: 0, staged: 0, conflicts: 0 };
/** After a direct COPY meets a row already there, the next this-many batches are staged (doubling to 64). */
const MAX_DIRECT_PAUSE = 64;
/** How long a stopped sink's query may still run before its connection is cut. */
const STOP_GRACE_MS = 3000;

/** Back from information_schema on reopen: the column types this sink creates, and json for JSON text. */
const FROM_SQL: Record<string, Column['type']> = {
  bigint: 'integer',
  integer: 'integer',
  'double precision': 'real',
  boolean: 'boolean',
  jsonb: 'json',
  json: 'json',
  uuid: 'uuid',
};

/**
 * SQLSTATE classes and codes no retry can fix: the role or its password (28), a database that does not
 * exist (3D), a schema (3F), permission, syntax and schema errors such as a table that cannot be created
 * or has other columns (42), data a column cannot hold (22), a constraint the table has beyond runnel's
 * (23), a row updated twice by one statement (21), a read-only server (25006), and features the server
 * lacks (0A). Everything else — the server starting or shutting down (57P), too many
 * connections (53), a dropped connection (08), serialization failures and deadlocks (40) — passes.
 */
function permanentState(code: string | undefined): boolean {
  if (!code) return false;
  return ['21', '22', '23', '28', '3D', '3F', '42', '0A'].includes(code.slice(0, 2)) || code === '25006';
}

/** `{ code: '28P01', message }` from a server error; node errors have errno-like string codes. */
function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Rows into a Postgres table (node-postgres), with the same columns, meta columns and `id` key as the
 * sqlite and duckdb sinks, or one row per key in table mode. Each batch and the positions it reaches are
 * written in one transaction, so a crash at any point leaves rows and positions in agreement:
 * exactly-once. The password is never part of a message or the target.
 */
export class PostgresSink implements Sink {
  name = 'postgres';
  readonly target: string;
  readonly #c: PostgresSinkConfig;
  /** The columns configured (see Sink.columnNames). */
  get columnNames(): string[] | undefined {
    return this.#c.columns?.map((c) => c.name);
  }
  readonly #where: string;
  #client: Client | undefined;
  /** Set by the client's 'error' event: the connection is gone, the next call makes a new one. */
  #broken = false;
  #columns: Column[] | undefined;
  #created = false;
  /** Whether the role of this connection may create the temporary staging table of #copyRows. */
  #stageable: { client: ClientBase; ok: boolean } | undefined;
  /** Batches to stage before trying a direct COPY again, and the pause the last conflict set (#copyRows). */
  #directPause = { left: 0, last: 0 };
  /** Whether the target may take a COPY straight in (#directable), found once per connection. */
  #direct: { client: ClientBase; ok: boolean } | undefined;

  constructor(config: PostgresSinkConfig) {
    this.#c = config;
    this.#where = displayUrl(config.url);
    this.target = `${this.#where} (table ${config.schema}.${config.table})`;
    this.#columns = config.columns;
  }

  get #table(): string {
    return `${quoted(this.#c.schema)}.${quoted(this.#c.table)}`;
  }

  get #offsets(): string {
    return `${quoted(this.#c.schema)}.runnel_offsets`;
  }

  async open(ctx: SinkContext): Promise<void> {
    // A stop lets the batch in hand finish (a clean stop commits what it consumed), but a server that
    // went silent mid-query must not hold Ctrl-C: after a grace, the connection is cut and the
    // uncommitted batch is read again on the next start.
    ctx.signal.addEventListener(
      'abort',
      () => setTimeout(() => void this.#client?.end().catch(() => {}), STOP_GRACE_MS).unref(),
      { once: true },
    );
    try {
      const client = await this.#connect();
      await this.#ensure(client, 'runnel_offsets', [
        `CREATE TABLE ${this.#offsets} (sink_table TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
          next_offset BIGINT NOT NULL, topic_id TEXT, PRIMARY KEY (sink_table, topic, partition))`,
      ]);
      if (!this.#columns) {
        // Reopening a table made earlier: its columns are the schema (no ALTER TABLE, ever).
        const existing = await this.#existingColumns(client);
        const skip = notRecordColumns(
          this.#c,
          existing.map((c) => c.name),
          existing.find((c) => c.identity === 'YES')?.name,
        );
        const columns = existing
          .filter((c) => !skip.has(c.name))
          .map((c) => ({ name: c.name, type: FROM_SQL[c.type] ?? 'text' }));
        if (columns.length > 0) this.#columns = columns;
      }
      if (this.#columns) await this.#createTable(client, this.#columns);
    } catch (err) {
      await this.close().catch(() => {});
      throw this.#error(err);
    }
  }

  async #connect(): Promise<Client> {
    if (this.#client && !this.#broken) return this.#client;
    await this.#disconnect();
    // Imported when a sink opens: runs without a postgres sink never load the driver.
    const { default: pg } = await import('pg');
    const client = new pg.Client({
      connectionString: this.#c.url,
      connectionTimeoutMillis: 10_000,
      application_name: 'runnel',
      // A peer gone without a goodbye (a network cut) shows up as an error instead of a wait without end.
      keepAlive: true,
    });
    // Without a listener, a server that goes away while the connection idles would crash the process.
    client.on('error', () => {
      this.#broken = true;
    });
    this.#broken = false;
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    this.#client = client;
    return client;
  }

  async #disconnect(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    // A polite end waits for the server's goodbye, which a silent server never sends: cut it after a while.
    const ended = client.end().then(
      () => true,
      () => true,
    );
    const timer = new Promise<false>((r) => setTimeout(() => r(false), 2000).unref());
    if (!(await Promise.race([ended, timer]))) {
      (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    }
  }

  async #existingColumns(client: ClientBase): Promise<Array<{ name: string; type: string; identity: string }>> {
    const { rows } = await client.query<{ name: string; type: string; identity: string }>(
      `SELECT column_name AS name, data_type AS type, is_identity AS identity FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
      [this.#c.schema, this.#c.table],
    );
    return rows;
  }

  async #createTable(client: ClientBase, columns: Column[]): Promise<void> {
    const upsert = upsertColumn(tableConfig(this.#c) as TableSinkConfig, columns);
    const meta = '_topic TEXT, _partition INTEGER, _offset BIGINT, _key TEXT, _timestamp BIGINT';
    let ddl: string;
    if (upsert) {
      // Table mode: the key column is the primary key; a record updates its key's row (see #insertRows).
      const cols = columns
        .map((c) => `${quoted(c.name)} ${SQL_TYPE[c.type]}${c.name === upsert.name ? ' PRIMARY KEY' : ''}`)
        .join(', ');
      ddl = `CREATE TABLE ${this.#table} (${cols}, ${meta})`;
    } else {
      const cols = columns.map((c) => `${quoted(c.name)} ${SQL_TYPE[c.type]}`).join(', ');
      ddl = `CREATE TABLE ${this.#table} (${quoted(keyColumn(columns))} BIGINT GENERATED ALWAYS AS IDENTITY
        PRIMARY KEY, ${cols}, ${meta}, UNIQUE (_topic, _partition, _offset))`;
    }
    await this.#ensure(client, this.#c.table, [ddl]);
    this.#created = true;
  }

  /**
   * Creates the schema and then `table` with `ddl` when they do not exist yet, and only then: CREATE …
   * IF NOT EXISTS checks the privilege to create before it looks, so a role that may only write an
   * existing table would be refused. Two sinks of one app open at once, and concurrent creations can
   * collide in the catalog (a unique violation): the DDL of one schema is serialised by an advisory lock.
   */
  async #ensure(client: ClientBase, table: string, ddl: string[]): Promise<void> {
    const exists = async () =>
      (
        await client.query<{ schema: boolean; table: boolean }>(
          'SELECT to_regnamespace($1) IS NOT NULL AS schema, to_regclass($2) IS NOT NULL AS table',
          [quoted(this.#c.schema), `${quoted(this.#c.schema)}.${quoted(table)}`],
        )
      ).rows[0]!;
    if ((await exists()).table) return;
    await this.#transaction(client, async () => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`runnel.schema.${this.#c.schema}`]);
      const now = await exists();
      // The lock serialises the DDL, but the catalog lookup above may still see the catalog as it was
      // before the other sink's commit (advisory locks do not refresh it): a schema or table created in
      // the meantime is "already exists", which is what was wanted.
      if (!now.schema) await tolerateExisting(client, `CREATE SCHEMA ${quoted(this.#c.schema)}`);
      if (!now.table) for (const statement of ddl) await tolerateExisting(client, statement);
    });
  }

  async storedPositions(): Promise<TopicPartitionOffset[]> {
    try {
      const client = await this.#connect();
      return await this.#positions(client);
    } catch (err) {
      throw this.#error(err);
    }
  }

  async #positions(client: ClientBase): Promise<TopicPartitionOffset[]> {
    const { rows } = await client.query<{ topic: string; partition: number; offset: string; topic_id: string | null }>(
      `SELECT topic, partition, next_offset AS offset, topic_id FROM ${this.#offsets} WHERE sink_table = $1`,
      [this.#c.table],
    );
    return rows.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      offset: Number(r.offset),
      ...(r.topic_id === null ? {} : { topicId: r.topic_id }),
    }));
  }

  async write(
    records: StreamRecord[],
    positions: TopicPartitionOffset[],
    options?: SinkWriteOptions,
  ): Promise<SinkWriteResult> {
    // A batch of positions only (its records were all dead-lettered) has nothing to infer columns from.
    if (!this.#columns && records.length > 0) this.#columns = inferColumns(records);
    const columns = this.#columns ?? [];
    const upsert = upsertColumn(tableConfig(this.#c) as TableSinkConfig, columns);
    const checked: Checked[] = records.map((r) => {
      try {
        const cells = rowOf(r, columns);
        checkCells(r, cells, columns, upsert);
        return { r, cells };
      } catch (err) {
        if (!isRunnelError(err)) throw err;
        return { r, error: err };
      }
    });
    let rejected: NonNullable<SinkWriteResult['rejected']> = [];
    try {
      const client = await this.#connect();
      if (!this.#created && this.#columns) await this.#createTable(client, this.#columns);
      await this.#transaction(client, async () => {
        // Under the positions' row locks, so another worker writing this table cannot store the same
        // positions between the check and the insert: a worker that stalled past its membership (a GC
        // pause, a SIGSTOP) woke with a batch the partition's new owner had written on from, and its
        // upserts put old values back over newer rows, for good once the new owner moved the position on.
        // Misfits too: a batch written again dead-letters none of them twice.
        const fresh = positions.length > 0 ? await this.#notStored(client, checked, positions) : checked;
        const rows = fresh.filter((x): x is Row => x.cells !== undefined);
        rejected = fresh.flatMap((x) => (x.error ? [{ record: x.r, error: x.error }] : []));
        // Durable before the COMMIT (see SinkWriteOptions); a failure rolls the batch back.
        if (rejected.length > 0) await options?.deadLetters?.(rejected);
        if (rows.length > 0) await this.#insertRows(client, columns, rows, upsert);
        if (positions.length > 0) {
          // Never backwards (a late batch of a stalled worker), unless the topic is another one of that
          // name (deleted and created again): its positions start over.
          await client.query(
            `INSERT INTO ${this.#offsets} (sink_table, topic, partition, next_offset, topic_id)
             SELECT $1, * FROM unnest($2::text[], $3::int[], $4::bigint[], $5::text[])
             ON CONFLICT (sink_table, topic, partition) DO UPDATE SET next_offset =
               CASE WHEN ${this.#offsets}.topic_id IS NOT DISTINCT FROM excluded.topic_id
                 OR ${this.#offsets}.topic_id IS NULL OR excluded.topic_id IS NULL
               THEN GREATEST(${this.#offsets}.next_offset, excluded.next_offset) ELSE excluded.next_offset END,
             topic_id = coalesce(excluded.topic_id, ${this.#offsets}.topic_id)`,
            [
              this.#c.table,
              positions.map((p) => p.topic),
              positions.map((p) => p.partition),
              positions.map((p) => p.offset),
              positions.map((p) => p.topicId ?? null),
            ],
          );
        }
      });
    } catch (err) {
      throw this.#error(err);
    }
    return { rejected };
  }

  /**
   * `rows` without those below the position this table holds for their partition, read under a row lock
   * held to the end of the transaction (a row made first for a partition never written, so the lock has
   * something to hold). A position kept for another topic of that name says nothing about this one.
   */
  async #notStored(client: ClientBase, rows: Checked[], positions: TopicPartitionOffset[]): Promise<Checked[]> {
    // In one order for every worker: two first batches of the same partitions locking in other orders deadlock.
    const sorted = positions.toSorted((a, b) =>
      a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
    );
    const topics = sorted.map((p) => p.topic);
    const partitions = sorted.map((p) => p.partition);
    await client.query(
      `INSERT INTO ${this.#offsets} (sink_table, topic, partition, next_offset)
       SELECT $1, * , 0 FROM unnest($2::text[], $3::int[]) ON CONFLICT DO NOTHING`,
      [this.#c.table, topics, partitions],
    );
    const { rows: held } = await client.query<{
      topic: string;
      partition: number;
      offset: string;
      topic_id: string | null;
    }>(
      `SELECT topic, partition, next_offset AS offset, topic_id FROM ${this.#offsets}
       WHERE sink_table = $1 AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[]))
       ORDER BY topic, partition FOR UPDATE`,
      [this.#c.table, topics, partitions],
    );
    return notStored(
      rows,
      (x) => x.r,
      held.map((h) => ({ topic: h.topic, partition: h.partition, offset: Number(h.offset), topicId: h.topic_id })),
      positions,
    );
  }

  /**
   * Append mode skips a record already stored; table mode keeps the newest record per key of the batch
   * first, since one statement may not update a row twice. A small batch is one INSERT … SELECT FROM
   * unnest(...); a large one goes through COPY into a staging table (see #copyRows), which spares the
   * server parsing one big array per column: the same rows, the same statement after it.
   */
  async #insertRows(client: ClientBase, columns: Column[], rows: Row[], upsert: Column | undefined): Promise<void> {
    let batch = rows;
    if (upsert) {
      const at = columns.indexOf(upsert);
      const newest = new Map<Cell, { r: StreamRecord; cells: Cell[] }>();
      for (const row of rows) {
        newest.delete(row.cells[at]!);
        newest.set(row.cells[at]!, row);
      }
      batch = [...newest.values()];
    }
    const names = [...columns.map((c) => quoted(c.name)), ...META_COLUMNS];
    let conflict: string;
    if (upsert) {
      const k = quoted(upsert.name);
      const updates = names.filter((n) => n !== k).map((n) => `${n} = excluded.${n}`);
      conflict = `ON CONFLICT (${k}) DO UPDATE SET ${updates.join(', ')}`;
    } else {
      // A record already stored (a replay from an older position) is skipped, never a write that fails
      // forever: the sink stays idempotent even if its offsets row is lost or a group commit lags.
      conflict = 'ON CONFLICT (_topic, _partition, _offset) DO NOTHING';
    }
    if (batch.length >= copyThreshold.rows && (await this.#copyRows(client, names, batch, conflict, !upsert))) return;
    // One array parameter per column: a batch of any size is one statement with a fixed text, without
    // the 65,535-parameter limit of a multi-row VALUES.
    const types = [...columns.map((c) => ARRAY_TYPE[c.type]), ...META_ARRAYS];
    const params: unknown[][] = names.map(() => new Array(batch.length));
    batch.forEach(({ r, cells }, i) => {
      for (let c = 0; c < cells.length; c++) params[c]![i] = cells[c];
      const m = cells.length;
      params[m]![i] = r.topic;
      params[m + 1]![i] = r.partition;
      params[m + 2]![i] = r.offset;
      params[m + 3]![i] = r.key;
      params[m + 4]![i] = r.timestamp;
    });
    const source = `SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}`).join(', ')})`;
    await client.query(`INSERT INTO ${this.#table} (${names.join(', ')}) ${source} ${conflict}`, params);
  }

  /**
   * A large batch through COPY FROM STDIN, which spares the server parsing one big array per column. Most
   * batches of fresh rows (new keys, records never stored) can go straight into the table, under a
   * savepoint: a row already there (a key updated, a replay) fails the COPY with a unique violation, the
   * savepoint is rolled back, and the batch goes through the staging table instead, where the same
   * ON CONFLICT as every other path decides. After such a conflict direct tries pause, for 1, 2, 4 … 64
   * batches, so a stream of updates pays for a failed try only now and then. False when the batch could
   * not be copied at all (no direct try, and a role that may not stage): the caller uses unnest.
   */
  async #copyRows(
    client: ClientBase,
    names: string[],
    batch: Row[],
    conflict: string,
    ordered: boolean,
  ): Promise<boolean> {
    const pause = this.#directPause;
    if (copyThreshold.direct && pause.left === 0 && (await this.#directable(client, names, conflict))) {
      await client.query('SAVEPOINT runnel_direct');
      try {
        await this.#copy(client, `${this.#table} (${names.join(', ')})`, batch, false);
        copyCounts.direct++;
        pause.last = 0;
        return true;
      } catch (err) {
        // Not a server's answer (the connection went): the transaction is lost, the caller retries it.
        const state = sqlState(err);
        if (state === undefined) throw err;
        await client.query('ROLLBACK TO SAVEPOINT runnel_direct');
        if (state === '23505') {
          copyCounts.conflicts++;
          pause.last = Math.min(MAX_DIRECT_PAUSE, pause.last * 2 || 1);
          pause.left = pause.last;
        } else {
          // Anything else COPY refused that an INSERT may take: no more direct tries on this connection,
          // and the staged INSERT below raises the error itself if it is a real one.
          this.#direct = { client, ok: false };
        }
      }
    } else if (pause.left > 0) {
      pause.left--;
    }
    if (!(await this.#canStage(client))) return false;
    await this.#stageRows(client, names, batch, conflict, ordered);
    copyCounts.staged++;
    return true;
  }

  /**
   * COPY into a temporary table of the target's own column types, then one INSERT … SELECT from it, all
   * in the batch's transaction. The staging table lives as long as the connection and is emptied at every
   * commit (ON COMMIT DELETE ROWS truncates it in place, with no catalog change per batch); IF NOT EXISTS
   * in the transaction itself keeps this right behind a transaction-mode pooler, where the next transaction
   * may run on another server connection. Its `_runnel_row` column keeps the batch's order, which the
   * append table's generated ids follow.
   */
  async #stageRows(
    client: ClientBase,
    names: string[],
    batch: Row[],
    conflict: string,
    ordered: boolean,
  ): Promise<void> {
    // Named after the target (hashed: any schema and table name fit in 63 characters), so two sinks
    // sharing a pooled server connection never share a staging table.
    const name = quoted(`runnel_stage_${createHash('sha256').update(this.#table).digest('hex').slice(0, 16)}`);
    const stage = `pg_temp.${name}`;
    const cols = names.join(', ');
    await client.query(
      `CREATE TEMP TABLE IF NOT EXISTS ${name} ON COMMIT DELETE ROWS AS
       SELECT ${cols}, 0::bigint AS _runnel_row FROM ${this.#table} WITH NO DATA`,
    );
    await this.#copy(client, `${stage} (${cols}, _runnel_row)`, batch, true);
    await client.query(
      `INSERT INTO ${this.#table} (${cols}) SELECT ${cols} FROM ${stage}${ordered ? ' ORDER BY _runnel_row' : ''} ${conflict}`,
    );
  }

  /** The batch's cells and meta columns (and its row numbers, `numbered`) as COPY text into `into`. */
  async #copy(client: ClientBase, into: string, batch: Row[], numbered: boolean): Promise<void> {
    // Imported on first use, as the driver is (see #connect).
    const { from: copyFrom } = await import('pg-copy-streams');
    let n = 0;
    const line = ({ r, cells }: { r: StreamRecord; cells: Cell[] }) =>
      `${copyLine(cells)}\t${copyField(r.topic)}\t${r.partition}\t${r.offset}\t${copyField(r.key)}\t${r.timestamp}` +
      (numbered ? `\t${n++}` : '');
    await pipeline(Readable.from(copyChunks(batch, line)), client.query(copyFrom(`COPY ${into} FROM STDIN`)));
  }

  /**
   * A COPY straight into the target is the same as the staged INSERT only where a unique violation is
   * what a stored row causes: a plain table (not a view, nor a foreign table), without row-level security
   * or rules (COPY refuses the first and skips the second), whose ON CONFLICT target is a unique,
   * immediate, whole-table index (a table made by hand may lack it, and then every row must go through
   * the INSERT, which says so). The last is asked of the planner itself: an INSERT of no rows with the
   * batch's ON CONFLICT clause, under a savepoint.
   */
  async #directable(client: ClientBase, names: string[], conflict: string): Promise<boolean> {
    if (this.#direct?.client === client) return this.#direct.ok;
    const { rows } = await client.query<{ plain: boolean }>(
      `SELECT c.relkind IN ('r', 'p') AND NOT c.relrowsecurity AND NOT c.relhasrules AS plain
       FROM pg_class c WHERE c.oid = to_regclass($1)`,
      [this.#table],
    );
    let ok = rows[0]?.plain === true;
    if (ok) {
      const cols = names.join(', ');
      await client.query('SAVEPOINT runnel_probe');
      try {
        await client.query(
          `INSERT INTO ${this.#table} (${cols}) SELECT ${cols} FROM ${this.#table} WHERE false ${conflict}`,
        );
        await client.query('RELEASE SAVEPOINT runnel_probe');
      } catch (err) {
        if (sqlState(err) === undefined) throw err;
        await client.query('ROLLBACK TO SAVEPOINT runnel_probe');
        ok = false;
      }
    }
    this.#direct = { client, ok };
    return ok;
  }

  /** A role without the TEMPORARY privilege on the database cannot stage: it keeps to unnest. */
  async #canStage(client: ClientBase): Promise<boolean> {
    if (this.#stageable?.client !== client) {
      const { rows } = await client.query<{ ok: boolean }>(
        "SELECT has_database_privilege(current_database(), 'TEMPORARY') AS ok",
      );
      this.#stageable = { client, ok: rows[0]!.ok };
    }
    return this.#stageable.ok;
  }

  async #transaction(client: ClientBase, fn: () => Promise<void>): Promise<void> {
    await client.query('BEGIN');
    try {
      await fn();
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  /**
   * `runnel verify`: connects, and checks the table can be written (or created) by this role, changing
   * nothing: a running pipeline may be writing it.
   */
  async verify(): Promise<void> {
    try {
      const client = await this.#connect();
      const s = this.#c.schema;
      const { rows } = await client.query<{ schema: boolean; table: boolean; can: boolean }>(
        `SELECT n.oid IS NOT NULL AS schema, t.oid IS NOT NULL AS table,
           CASE WHEN t.oid IS NOT NULL THEN has_table_privilege(t.oid, 'INSERT, UPDATE, SELECT')
                WHEN n.oid IS NOT NULL THEN has_schema_privilege(n.oid, 'CREATE')
                ELSE has_database_privilege(current_database(), 'CREATE') END AS can
         FROM (SELECT 1) one
         LEFT JOIN pg_namespace n ON n.nspname = $1
         LEFT JOIN pg_class t ON t.relnamespace = n.oid AND t.relname = $2 AND t.relkind IN ('r', 'p')`,
        [s, this.#c.table],
      );
      const r = rows[0]!;
      if (!r.can) {
        const what = r.table
          ? `no permission to write table ${s}.${this.#c.table}`
          : r.schema
            ? `no permission to create tables in schema ${s}`
            : `no permission to create schema ${s}`;
        throw Object.assign(new Error(what), { code: '42501' });
      }
    } catch (err) {
      throw this.#error(err);
    } finally {
      await this.close();
    }
  }

  /** The positions kept with the rows, read without writing anything; [] before the first write. */
  async peekPositions(): Promise<TopicPartitionOffset[]> {
    try {
      const client = await this.#connect();
      const { rows } = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [
        `${quoted(this.#c.schema)}.runnel_offsets`,
      ]);
      return rows[0]!.exists ? await this.#positions(client) : [];
    } catch (err) {
      throw this.#error(err);
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    await this.#disconnect();
    this.#created = false;
    if (!this.#c.columns) this.#columns = undefined;
  }

  /**
   * Permanent (a role, password, database, permission or table problem: one line naming the URL without
   * its password, and the run stops) or retriable (the server is down, starting, restarting or busy).
   */
  #error(err: unknown): RunnelError {
    if (isRunnelError(err)) return err;
    const state = sqlState(err);
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
    const where = `${this.#where} (table ${this.#c.schema}.${this.#c.table})`;
    if (permanentState(state)) {
      return new RunnelError(
        ErrorCodes.OUTPUT_UNWRITABLE,
        `cannot write ${where}: ${message}; fix that, or set RUNNEL_POSTGRES_URL`,
        { cause: err, value: this.#where },
      );
    }
    // The connection is in doubt after any other failure: the next try starts from a new one.
    this.#broken = true;
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    const reason = code === 'ECONNREFUSED' ? 'connection refused (is the server running?)' : message;
    return new RunnelError(ErrorCodes.SINK_UNAVAILABLE, `${where}: ${reason}`, { retriable: true, cause: err });
  }
}

/**
 * What Postgres would refuse for the whole batch, refused per record instead so it goes to the dead-letter
 * topic: text cannot hold NUL characters, and a table-mode key cannot be null.
 */
function checkCells(r: StreamRecord, cells: Cell[], columns: Column[], upsert: Column | undefined): void {
  // A plain loop, no closure: this runs for every cell of every row.
  for (let i = 0; i < cells.length; i++) {
    const v = cells[i];
    // JSON text escapes NUL as \u0000, which jsonb refuses all the same.
    if (typeof v === 'string' && (v.includes('\u0000') || (columns[i]!.type === 'json' && v.includes('\\u0000')))) {
      throw new RunnelError(ErrorCodes.SCHEMA_MISMATCH, `field "${columns[i]!.name}" holds a NUL character`, {
        value: v,
      });
    }
  }
  if (upsert && cells[columns.indexOf(upsert)] === null) {
    throw new RunnelError(ErrorCodes.SCHEMA_MISMATCH, `key field "${upsert.name}" is missing or null`, {
      value: r.value,
    });
  }
  if (typeof r.key === 'string' && r.key.includes('\u0000')) {
    throw new RunnelError(ErrorCodes.SCHEMA_MISMATCH, 'record key holds a NUL character', { value: r.key });
  }
}

/** Runs DDL inside the open transaction; "already exists" (42P06 schema, 42P07 table, 23505 catalog race) is success. */
async function tolerateExisting(client: ClientBase, statement: string): Promise<void> {
  await client.query('SAVEPOINT runnel_ddl');
  try {
    await client.query(statement);
    await client.query('RELEASE SAVEPOINT runnel_ddl');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== '42P06' && code !== '42P07' && code !== '23505') throw err;
    await client.query('ROLLBACK TO SAVEPOINT runnel_ddl');
  }
}
