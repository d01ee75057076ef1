// Postgres and Cassandra sinks against what a user would write by hand with the same client, same rows,
// same run: `node bench/table-sinks.ts [rows]`. The users app's flat rows (12 text columns) are the load.
// Postgres: 127.0.0.1:5432 (RUNNEL_TEST_POSTGRES_URL). Cassandra: `runnel cassandra start` (skipped if none).
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import cassandra from 'cassandra-driver';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { flattenUser } from '../src/apps/users/flatten.ts';
import { generateUsers } from '../src/apps/users/randomuser.ts';
import { copyField } from '../src/connectors/sinks/postgres/copy-text.ts';
import { copyThreshold } from '../src/connectors/sinks/postgres/postgres.ts';
import { createSink } from '../src/core/connector-registry.ts';
import { createLogger } from '../src/core/log.ts';
import type { StreamRecord } from '../src/core/record.ts';
import '../src/connectors/sinks/index.ts';

type Row = [string, number, string];
const ADMIN = process.env.RUNNEL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CASSANDRA = process.env.RUNNEL_TEST_CASSANDRA ?? '127.0.0.1:9042';
const BATCH = 5000;
const CONCURRENCY = 64;

function users(n: number): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (let page = 1; out.length < n; page++) {
    for (const u of generateUsers({ seed: 'bench', page, results: Math.min(5000, n - out.length) }).results) {
      out.push(flattenUser(u) as unknown as Record<string, string>);
    }
  }
  return out;
}

const COLUMNS = ['id', 'first_name', 'last_name', 'gender', 'address', 'post_code', 'email', 'username', 'dob'];
const columns = COLUMNS.map((name) => ({ name, type: 'text' }));
const records = (values: Record<string, string>[]): StreamRecord[] =>
  values.map((value, offset) => ({
    topic: 'users',
    partition: 0,
    offset,
    key: value.id!,
    value,
    timestamp: 0,
    headers: {},
  }));
const ctx = () => ({ signal: new AbortController().signal, log: createLogger({ quiet: true }) });

async function throughSink(kind: string, options: Record<string, unknown>, recs: StreamRecord[]): Promise<number> {
  const sink = createSink(kind, { ...options, columns, key: 'id' });
  await sink.open(ctx());
  const t0 = performance.now();
  for (let i = 0; i < recs.length; i += BATCH) {
    const part = recs.slice(i, i + BATCH);
    await sink.write(part, [{ topic: 'users', partition: 0, offset: i + part.length }]);
  }
  const ms = performance.now() - t0;
  await sink.close();
  return (recs.length / ms) * 1000;
}

async function postgres(values: Record<string, string>[]): Promise<Row[]> {
  const db = `runnel_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (err) {
    return [['postgres sink', 0, `skipped: ${(err as Error).message}`]];
  }
  await admin.query(`CREATE DATABASE ${db}`);
  const url = Object.assign(new URL(ADMIN), { pathname: `/${db}` }).toString();
  try {
    // A first pass warms the JIT, so neither measured pass pays for it.
    await throughSink('postgres', { url, table: 'users_warm' }, records(values.slice(0, 20_000)));
    const sink = await throughSink('postgres', { url, table: 'users_sink' }, records(values));
    // The same sink with every batch through its staging table (as before fresh batches went straight in).
    copyThreshold.direct = false;
    const staged = await throughSink('postgres', { url, table: 'users_staged' }, records(values));
    copyThreshold.direct = true;
    // The hand-written loop: one prepared INSERT … ON CONFLICT per row, a transaction per batch.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`CREATE TABLE users_loop (${COLUMNS.map((n) => `${n} text`).join(', ')}, PRIMARY KEY (id))`);
    const sql = `INSERT INTO users_loop VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
      ON CONFLICT (id) DO UPDATE SET ${COLUMNS.slice(1)
        .map((n) => `${n} = excluded.${n}`)
        .join(', ')}`;
    const t0 = performance.now();
    for (let i = 0; i < values.length; i += BATCH) {
      await c.query('BEGIN');
      for (const v of values.slice(i, i + BATCH))
        await c.query({ name: 'ins', text: sql, values: COLUMNS.map((n) => v[n]) });
      await c.query('COMMIT');
    }
    const loop = (values.length / (performance.now() - t0)) * 1000;
    // The floor: plain COPY of the same rows into a fresh table, a transaction per batch, no upsert, no
    // positions (what the sink's direct path does, less its bookkeeping).
    await c.query(`CREATE TABLE users_copy (${COLUMNS.map((n) => `${n} text`).join(', ')}, PRIMARY KEY (id))`);
    const t1 = performance.now();
    for (let i = 0; i < values.length; i += BATCH) {
      await c.query('BEGIN');
      const lines = values.slice(i, i + BATCH).map((v) => `${COLUMNS.map((n) => copyField(v[n])).join('\t')}\n`);
      await pipeline(Readable.from([Buffer.from(lines.join(''))]), c.query(copyFrom(`COPY users_copy FROM STDIN`)));
      await c.query('COMMIT');
    }
    const copy = (values.length / (performance.now() - t1)) * 1000;
    await c.end();
    return [
      [
        'postgres sink (table mode, exactly-once)',
        Math.round(sink),
        `${(sink / loop).toFixed(1)}× the loop, ${(sink / copy).toFixed(2)}× plain COPY`,
      ],
      ['postgres sink, every batch staged', Math.round(staged), `${(sink / staged).toFixed(2)}× slower than direct`],
      ['postgres: pg loop, prepared upsert per row', Math.round(loop), 'baseline, same rows, same run'],
      ['postgres: plain COPY per batch, no upsert', Math.round(copy), 'the floor, same rows, same run'],
    ];
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  }
}

async function cassandraRows(values: Record<string, string>[]): Promise<Row[]> {
  const [host, port] = CASSANDRA.split(':');
  const client = new cassandra.Client({
    contactPoints: [`${host}:${port}`],
    localDataCenter: 'datacenter1',
    socketOptions: { connectTimeout: 3000 },
    // As the sink's client: prepared, idempotent, LOCAL_QUORUM.
    queryOptions: { prepare: true, isIdempotent: true, consistency: cassandra.types.consistencies.localQuorum },
  });
  try {
    await client.connect();
  } catch (err) {
    return [['cassandra sink', 0, `skipped (runnel cassandra start): ${(err as Error).message.split('\n')[0]}`]];
  }
  const ks = `runnel_bench_${process.pid}`;
  try {
    await client.execute(
      `CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    const sink = await throughSink(
      'cassandra',
      { contactPoints: CASSANDRA, keyspace: ks, table: 'users_sink', concurrency: CONCURRENCY },
      records(values),
    );
    await client.execute(
      `CREATE TABLE ${ks}.users_loop (${COLUMNS.map((n) => `${n} text`).join(', ')}, PRIMARY KEY (id))`,
    );
    const insert = `INSERT INTO ${ks}.users_loop (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;
    const t0 = performance.now();
    await cassandra.concurrent.executeConcurrent(
      client,
      insert,
      values.map((v) => COLUMNS.map((n) => v[n])),
      { concurrencyLevel: CONCURRENCY, raiseOnFirstError: true },
    );
    const loop = (values.length / (performance.now() - t0)) * 1000;
    return [
      ['cassandra sink (upserts, positions kept)', Math.round(sink), `${(sink / loop).toFixed(2)}× the loop`],
      [`cassandra: driver executeConcurrent (${CONCURRENCY})`, Math.round(loop), 'baseline, same rows, same run'],
    ];
  } finally {
    await client.execute(`DROP KEYSPACE IF EXISTS ${ks}`).catch(() => {});
    await client.shutdown();
  }
}

export async function benchTableSinks(n = 50_000): Promise<Row[]> {
  const values = users(n);
  return [...(await postgres(values)), ...(await cassandraRows(values))];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, rate, note] of await benchTableSinks(Number(process.argv[2] ?? 50_000))) {
    console.log(`${name.padEnd(44)} ${String(rate).padStart(9)} rows/s   ${note}`);
  }
}
