/**
 * The users app on a real Kafka, topics named uniquely per run (USERS_TOPIC): `runnel run users --limit`
 * ends with exactly the users in every sink, predicted as the reference replay; and kill -9 at progress
 * points then a restart leaves every user once, the model having learned each once (its state is
 * committed in the same Kafka transaction as its outputs).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { unique } from '../broker-conformance/suite.ts';
import { cql, testKeyspace } from '../helpers/cassandra.ts';
import { duckdbRows, jsonlValues, runCli, sqliteRows, workspace } from '../helpers/cli.ts';
import { rows, testDatabase } from '../helpers/postgres.ts';
import { needService } from '../helpers/services.ts';
import { referenceFlat, referenceUsers } from '../helpers/users-replay.ts';
import { assertPredictions, killPoints, type Predicted, runUsersUntil } from '../helpers/users-run.ts';
import { KAFKA_HOW, KAFKA_URL, kafkaAvailable } from './env.ts';

const PAGE = 100;
const SELECT = 'SELECT id, predicted_gender, p_female, seen FROM users_predicted';

async function kafkaWorkspace(t: TestContext) {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return undefined;
  const ws = workspace('runnel-kafka-users-');
  return { ...ws, flags: ws.flags.map((f) => (f === ws.broker ? KAFKA_URL : f)) };
}

test('kafka: runnel run users --limit 5000 leaves exactly the users, predicted as the reference', {
  timeout: 300_000,
}, async (t) => {
  const ws = await kafkaWorkspace(t);
  if (!ws) return;
  const pg = await testDatabase(t);
  const keyspace = await testKeyspace(t);
  const topic = unique('users');
  const n = 5000;
  const sinks = ['jsonl', 'sqlite', 'duckdb', ...(pg ? ['postgres'] : []), ...(keyspace ? ['cassandra'] : [])];
  const r = await runCli(
    ['run', 'users', '--limit', String(n), '--rate', '0', '--seed', '5', '--sinks', sinks.join(','), ...ws.flags],
    {
      env: {
        USERS_TOPIC: topic,
        USERS_PAGE_SIZE: String(PAGE),
        ...(pg ? { RUNNEL_POSTGRES_URL: pg } : {}),
        ...(keyspace ? { RUNNEL_CASSANDRA_KEYSPACE: keyspace } : {}),
      },
      timeoutMs: 250_000,
    },
  );
  assert.equal(r.code, 0, r.stderr);
  const want = referenceUsers('5', PAGE, n);
  const data = join(ws.dir, 'data');
  assertPredictions(sqliteRows<Predicted>(join(data, 'users.sqlite'), SELECT), want.users, 'sqlite on kafka');
  assertPredictions(await duckdbRows<Predicted>(join(data, 'users.duckdb'), SELECT), want.users, 'duckdb on kafka');
  assertPredictions(jsonlValues<Predicted>(join(data, `${topic}.predicted.jsonl`)), want.users, 'jsonl on kafka');
  const ids = want.users.map((u) => u.id).sort();
  if (pg) {
    const got = await rows<{ id: string }>(pg, 'SELECT id FROM spark_streams.created_users ORDER BY id');
    assert.deepEqual(
      got.map((x) => x.id),
      ids,
      'postgres created_users on kafka',
    );
  }
  if (keyspace) {
    const got = await cql(`SELECT id FROM ${keyspace}.created_users`);
    assert.deepEqual(got.map((x) => String(x.get('id'))).sort(), ids, 'cassandra created_users on kafka');
  }
});

test('kafka: users killed with kill -9 at 3 progress points, then restarted: every user once, learned once', {
  timeout: 400_000,
}, async (t) => {
  const ws = await kafkaWorkspace(t);
  if (!ws) return;
  const n = 3000;
  const topic = unique('users');
  const env = { USERS_TOPIC: topic, USERS_PAGE_SIZE: String(PAGE), USERS_COUNT: String(n) };
  let kills = 0;
  // At 1500 users/s: a Kafka commit gathers up to a second of input, so flat out the run would be one batch.
  for (const at of killPoints(77, 3, n)) if ((await runUsersUntil(ws, env, at, undefined, 1500)) === 'killed') kills++;
  assert.equal(await runUsersUntil(ws, env, undefined, undefined, 1500), 'exited');
  assert.ok(kills >= 2, `most kill points should land before the end (got ${kills})`);
  const want = referenceUsers('5', PAGE, n);
  const data = join(ws.dir, 'data');
  assertPredictions(sqliteRows<Predicted>(join(data, 'users.sqlite'), SELECT), want.users, 'sqlite after kills');
  assertPredictions(await duckdbRows<Predicted>(join(data, 'users.duckdb'), SELECT), want.users, 'duckdb after kills');
  assertPredictions(jsonlValues<Predicted>(join(data, `${topic}.predicted.jsonl`)), want.users, 'jsonl after kills');
  const last = jsonlValues<{ seen: number }>(join(data, `${topic}.metrics.jsonl`)).at(-1)!;
  assert.equal(last.seen, n, "the model's count of users learned is exact");
  // The topic itself (through its JSONL sink): the source repeated nothing at the kills, skipped nothing.
  assert.deepEqual(
    jsonlValues<{ id: string }>(join(data, `${topic}.jsonl`)).map((u) => u.id),
    referenceFlat('5', PAGE, n).map((u) => u.id),
    'every user on the topic once, in order',
  );
});
