/**
 * The users app through the real CLI on the local broker: `runnel run users` leaves exactly the generated
 * users in every sink, each predicted by a model that learned each user once, in order, exactly as a
 * reference replay in the test does; and the same after kill -9 at random progress points and restarts.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import { cql, testKeyspace } from '../helpers/cassandra.ts';
import { duckdbRows, exited, jsonlValues, runCli, sqliteRows, startCli, workspace } from '../helpers/cli.ts';
import { rows, testDatabase } from '../helpers/postgres.ts';
import { localTopicValues } from '../helpers/topic-values.ts';
import { referenceFlat, referenceUsers } from '../helpers/users-replay.ts';
import { assertPredictions, killPoints, type Predicted, runUsersUntil } from '../helpers/users-run.ts';

const N = 5000;
const PAGE = 100;
const TEXT_COLUMNS = [
  'first_name',
  'last_name',
  'gender',
  'address',
  'post_code',
  'email',
  'username',
  'dob',
  'registered_date',
  'phone',
  'picture',
];

test('runnel run users --limit 5000: exactly the users in JSONL, SQLite, DuckDB, Postgres and Cassandra, predicted as the reference', {
  timeout: 240_000,
}, async (t) => {
  const pg = await testDatabase(t);
  const keyspace = await testKeyspace(t);
  const ws = workspace('runnel-users-');
  const sinks = ['jsonl', 'sqlite', 'duckdb', ...(pg ? ['postgres'] : []), ...(keyspace ? ['cassandra'] : [])].join(
    ',',
  );
  const services = {
    ...(pg ? { RUNNEL_POSTGRES_URL: pg } : {}),
    ...(keyspace ? { RUNNEL_CASSANDRA_KEYSPACE: keyspace } : {}),
  };
  const r = await runCli(
    ['run', 'users', '--limit', String(N), '--rate', '0', '--seed', '3', '--sinks', sinks, ...ws.flags],
    {
      env: { USERS_PAGE_SIZE: String(PAGE), ...services },
      timeoutMs: 200_000,
    },
  );
  assert.equal(r.code, 0, r.stderr);
  const want = referenceUsers('3', PAGE, N);
  const data = join(ws.dir, 'data');
  const ids = want.users.map((u) => u.id).sort();
  const sqliteIds = sqliteRows<{ id: string }>(join(data, 'users.sqlite'), 'SELECT id FROM created_users ORDER BY id');
  assert.deepEqual(
    sqliteIds.map((x) => x.id),
    ids,
    'sqlite created_users',
  );
  const duckIds = await duckdbRows<{ id: string }>(
    join(data, 'users.duckdb'),
    'SELECT id FROM created_users ORDER BY id',
  );
  assert.deepEqual(
    duckIds.map((x) => x.id),
    ids,
    'duckdb created_users',
  );
  assertPredictions(
    sqliteRows<Predicted>(
      join(data, 'users.sqlite'),
      'SELECT id, predicted_gender, p_female, seen FROM users_predicted',
    ),
    want.users,
    'sqlite users_predicted',
  );
  assertPredictions(jsonlValues<Predicted>(join(data, 'users_created.predicted.jsonl')), want.users, 'jsonl');
  if (pg) {
    const pgIds = await rows<{ id: string }>(pg, 'SELECT id FROM spark_streams.created_users ORDER BY id');
    assert.deepEqual(
      pgIds.map((x) => x.id),
      ids,
      'postgres spark_streams.created_users',
    );
    const idType = await rows<{ data_type: string }>(
      pg,
      "SELECT data_type FROM information_schema.columns WHERE table_schema = 'spark_streams' AND table_name = 'created_users' AND column_name = 'id'",
    );
    assert.equal(idType[0]!.data_type, 'uuid');
  }
  // `runnel verify` finds every users sink up to date with its topic.
  if (keyspace) {
    const got = await cql(`SELECT id, dob FROM ${keyspace}.created_users`);
    assert.deepEqual(got.map((x) => String(x.get('id'))).sort(), ids, 'cassandra created_users');
    assert.ok(
      got.every((x) => typeof x.get('dob') === 'string'),
      'dob kept',
    );
    // The seed's DDL: `id UUID PRIMARY KEY`, the rest text (plus dob).
    const types = await cql(
      "SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = 'created_users'",
      [keyspace],
    );
    const typeOf = new Map(types.map((c) => [String(c.get('column_name')), String(c.get('type'))]));
    assert.equal(typeOf.get('id'), 'uuid');
    for (const c of TEXT_COLUMNS) assert.equal(typeOf.get(c), 'text', c);
  }
  const v = await runCli(['verify', '--sinks', sinks, ...ws.flags], { env: services });
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(
    v.stdout,
    /users sqlite-users_created: .*\(table created_users\): up to date with users_created \(5000 records\)/,
  );
  if (pg)
    assert.match(v.stdout, /\(table spark_streams\.created_users\): up to date with users_created \(5000 records\)/);
  // The learning curve's last point is the reference evaluation's; the model beats the baseline clearly.
  const last = jsonlValues<{ seen: number; accuracy: number; baselineAccuracy: number }>(
    join(data, 'users_created.metrics.jsonl'),
  ).at(-1)!;
  assert.equal(last.seen, N);
  assert.equal(last.accuracy, want.metrics.accuracy);
  assert.equal(last.baselineAccuracy, want.metrics.baselineAccuracy);
  assert.ok(last.accuracy >= 0.85, `accuracy ${last.accuracy}`);
  assert.ok(last.accuracy - last.baselineAccuracy >= 0.15, `baseline ${last.baselineAccuracy}`);
});

test('users: kill -9 at 4 random progress points, then a restart: every user once in every sink, the model learned each once', {
  timeout: 400_000,
}, async (t) => {
  const pg = await testDatabase(t);
  const keyspace = await testKeyspace(t);
  const ws = workspace('runnel-users-crash-');
  const env = {
    USERS_PAGE_SIZE: String(PAGE),
    USERS_COUNT: String(N),
    ...(pg ? { RUNNEL_POSTGRES_URL: pg } : {}),
    ...(keyspace ? { RUNNEL_CASSANDRA_KEYSPACE: keyspace } : {}),
  };
  const sinks = `jsonl,sqlite,duckdb${pg ? ',postgres' : ''}${keyspace ? ',cassandra' : ''}`;
  let kills = 0;
  for (const at of killPoints(2024, 4, N)) if ((await runUsersUntil(ws, env, at, sinks)) === 'killed') kills++;
  assert.equal(await runUsersUntil(ws, env, undefined, sinks), 'exited');
  assert.ok(kills >= 3, `most kill points should land before the end (got ${kills})`);
  const want = referenceUsers('5', PAGE, N);
  const data = join(ws.dir, 'data');
  assertPredictions(
    sqliteRows<Predicted>(
      join(data, 'users.sqlite'),
      'SELECT id, predicted_gender, p_female, seen FROM users_predicted',
    ),
    want.users,
    'sqlite after kills',
  );
  assertPredictions(
    await duckdbRows<Predicted>(
      join(data, 'users.duckdb'),
      'SELECT id, predicted_gender, p_female, seen FROM users_predicted',
    ),
    want.users,
    'duckdb after kills',
  );
  // The JSONL sink is exactly-once too: no line twice.
  assertPredictions(
    jsonlValues<Predicted>(join(data, 'users_created.predicted.jsonl')),
    want.users,
    'jsonl after kills',
  );
  const created = sqliteRows<{ n: number; ids: number }>(
    join(data, 'users.sqlite'),
    'SELECT count(*) AS n, count(DISTINCT id) AS ids FROM created_users',
  )[0]!;
  assert.deepEqual({ ...created }, { n: N, ids: N });
  if (pg) {
    assertPredictions(
      await rows<Predicted>(pg, 'SELECT id, predicted_gender, p_female, seen FROM users.users_predicted'),
      want.users,
      'postgres after kills',
    );
    const pgCreated = await rows<{ n: string }>(pg, 'SELECT count(DISTINCT id) AS n FROM spark_streams.created_users');
    assert.equal(Number(pgCreated[0]!.n), N);
  }
  if (keyspace) {
    // Upserts by id: a replayed batch rewrites the same rows, so the table holds each user once.
    const got = await cql(`SELECT id FROM ${keyspace}.created_users`);
    assert.deepEqual(
      got.map((x) => String(x.get('id'))).sort(),
      want.users.map((u) => u.id).sort(),
      'cassandra after kills',
    );
  }
  const last = jsonlValues<{ seen: number }>(join(data, 'users_created.metrics.jsonl')).at(-1)!;
  assert.equal(last.seen, N, "the model's count of users learned is exact");
});

test('users: kill -9 at 5 random progress points of a paced run, then a run to the end: the topic holds the users of an uninterrupted run, each once, in order', {
  timeout: 300_000,
}, async () => {
  // Paced, so a batch is a few users and the kills land anywhere in the produce → position-file cycle:
  // a kill after the produce, before the file was written, put that batch on the topic twice (10 per kill).
  const n = 3000;
  const ws = workspace('runnel-users-kill-topic-');
  const env = { USERS_PAGE_SIZE: String(PAGE), USERS_COUNT: String(n) };
  let kills = 0;
  for (const at of killPoints(7, 5, n)) if ((await runUsersUntil(ws, env, at, 'jsonl', 400)) === 'killed') kills++;
  assert.equal(await runUsersUntil(ws, env, undefined, 'jsonl'), 'exited');
  assert.ok(kills >= 3, `most kill points should land before the end (got ${kills})`);
  const want = referenceFlat('5', PAGE, n).map((u) => u.id);
  const broker = new LocalBroker(ws.broker);
  await broker.connect();
  const onTopic = (await broker.read('users_created', 0, 0, 2 * n)).map((r) => (r.value as { id: string }).id);
  await broker.close();
  assert.deepEqual(onTopic, want, 'the topic: every user of the seed once, in order, none skipped');
  const lines = jsonlValues<{ id: string }>(join(ws.dir, 'data', 'users_created.jsonl')).map((u) => u.id);
  assert.deepEqual(lines, want, 'users_created.jsonl: the same');
});

test("users --from: a JSONL file with every user twice is learned once per user; the seed's CSV export reads too", {
  timeout: 120_000,
}, async () => {
  const n = 600;
  const want = referenceUsers('12', PAGE, n);
  const flat = referenceFlat('12', PAGE, n);
  const ws = workspace('runnel-users-from-');
  const file = join(ws.dir, 'twice.jsonl');
  // Each page twice, as a source repeating a page after a crash would put it on the topic.
  const lines: string[] = [];
  for (let i = 0; i < n; i += PAGE)
    for (let k = 0; k < 2; k++) for (const u of flat.slice(i, i + PAGE)) lines.push(JSON.stringify(u));
  writeFileSync(file, `${lines.join('\n')}\n`);
  const r = await runCli(['run', 'users', '--from', file, '--sinks', 'jsonl,sqlite', ...ws.flags], {
    timeoutMs: 100_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const data = join(ws.dir, 'data');
  assert.equal(jsonlValues(join(data, 'users_created.jsonl')).length, 2 * n, 'the topic holds both copies');
  assertPredictions(
    jsonlValues<Predicted>(join(data, 'users_created.predicted.jsonl')),
    want.users,
    'jsonl --from twice',
  );
  const rowsOf = sqliteRows<{ n: number }>(join(data, 'users.sqlite'), 'SELECT count(*) AS n FROM created_users')[0]!;
  assert.equal(rowsOf.n, n, 'one row per user id');

  // The seed's `created_users.csv` (Cassandra export: no dob, columns in its own order).
  const csv = join(ws.dir, 'created_users.csv');
  const cols = [
    'id',
    'address',
    'email',
    'first_name',
    'gender',
    'last_name',
    'phone',
    'picture',
    'post_code',
    'registered_date',
    'username',
  ];
  const quote = (v: unknown) => `"${String(v).replace(/"/g, '""')}"`;
  writeFileSync(
    csv,
    `${cols.join(',')}\n${flat
      .slice(0, 50)
      .map((u) => cols.map((c) => quote((u as Record<string, unknown>)[c])).join(','))
      .join('\n')}\n`,
  );
  const ws2 = workspace('runnel-users-csv-');
  const c = await runCli(['run', 'users', '--from', csv, '--sinks', 'sqlite', ...ws2.flags], { timeoutMs: 100_000 });
  assert.equal(c.code, 0, c.stderr);
  const got = sqliteRows<{ id: string; post_code: string; dob: string | null }>(
    join(ws2.dir, 'data', 'users.sqlite'),
    'SELECT id, post_code, dob FROM created_users',
  );
  assert.deepEqual(
    got.map((g) => g.id).sort(),
    flat
      .slice(0, 50)
      .map((u) => u.id)
      .sort(),
  );
  assert.ok(got.every((g) => g.dob === null));
  const predicted = sqliteRows<{ n: number }>(
    join(ws2.dir, 'data', 'users.sqlite'),
    'SELECT count(*) AS n FROM users_predicted',
  )[0]!;
  assert.equal(predicted.n, 50);
});

test('users --from CSV: a row with an empty first name is a dead letter that says why, not predicted or learned from', {
  timeout: 120_000,
}, async () => {
  const ws = workspace('runnel-users-csv-empty-');
  const users = referenceFlat('9', 10, 3);
  const cols = ['id', 'first_name', 'last_name', 'gender', 'address', 'post_code', 'email', 'username'];
  const more = ['registered_date', 'phone', 'picture'];
  const rows = users.map((u, i) =>
    [...cols, ...more].map((c) => (i === 1 && c === 'first_name' ? '' : String((u as Record<string, unknown>)[c]))),
  );
  const csv = join(ws.dir, 'empty-name.csv');
  const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;
  writeFileSync(csv, `${[...cols, ...more].join(',')}\n${rows.map((r) => r.map(quote).join(',')).join('\n')}\n`);
  const r = await runCli(['run', 'users', '--from', csv, '--sinks', 'jsonl', ...ws.flags], { timeoutMs: 100_000 });
  assert.equal(r.code, 0, r.stderr);
  const predicted = jsonlValues<{ id: string }>(join(ws.dir, 'data', 'users_created.predicted.jsonl'));
  assert.deepEqual(
    predicted.map((u) => u.id),
    [users[0]!.id, users[2]!.id],
  );
  const dlq = await localTopicValues<{ error: { message: string } }>(ws.broker, 'users_created.dlq');
  assert.equal(dlq.length, 1);
  assert.match(
    dlq[0]!.error.message,
    /empty-name\.csv:3: .*first_name: empty, and a gender cannot be learned from no first name/,
  );
  assert.match(r.stderr, /first_name: empty, and a gender cannot be learned from no first name/);
});

test('users failover: two consume workers, the one holding the model killed with kill -9, the other takes over and continues exactly', {
  timeout: 300_000,
}, async () => {
  const n = 3000;
  const ws = workspace('runnel-users-failover-');
  const env = { USERS_PAGE_SIZE: String(PAGE), USERS_COUNT: String(n) };
  // The source paced, so the kill lands mid-stream; the workers consume as it produces.
  const producer = startCli(['produce', 'users', '--rate', '400', '--seed', '5', ...ws.flags], { env });
  let k = 0;
  const consume = (extra: string[] = []) =>
    startCli(
      [
        'consume',
        'users',
        '--sinks',
        'jsonl',
        '--broker',
        ws.broker,
        '--data-dir',
        join(ws.dir, `data-${k++}`),
        ...extra,
      ],
      { env },
    );
  const first = consume();
  await sleep(1500);
  const second = consume();
  const predicted = async () => (await localTopicValues<Predicted>(ws.broker, 'users_created.predicted')).length;
  const deadline = Date.now() + 60_000;
  while ((await predicted()) < n / 3 && Date.now() < deadline) await sleep(100);
  const atKill = await predicted();
  first.kill('SIGKILL');
  assert.ok(atKill < n, `the kill lands mid-stream (${atKill} of ${n} predicted)`);
  await exited(producer);
  const done = await runCli(
    [
      'consume',
      'users',
      '--sinks',
      'jsonl',
      '--drain',
      '--broker',
      ws.broker,
      '--data-dir',
      join(ws.dir, 'data-drain'),
    ],
    { env, timeoutMs: 200_000 },
  );
  second.kill('SIGTERM');
  await exited(second);
  assert.equal(done.code, 0, done.stderr);
  assert.equal(producer.exitCode, 0);
  const want = referenceUsers('5', PAGE, n);
  assertPredictions(
    await localTopicValues<Predicted>(ws.broker, 'users_created.predicted'),
    want.users,
    'after failover',
  );
});
