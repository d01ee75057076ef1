import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CASSANDRA, cql, testKeyspace } from '../../../../test/helpers/cassandra.ts';
import { createSink } from '../../../core/connector-registry.ts';
import { formatError, isPermanent, isRunnelError } from '../../../core/errors.ts';
import { createLogger } from '../../../core/log.ts';
import type { StreamRecord } from '../../../core/record.ts';
import '../index.ts';

const ctx = () => ({ signal: new AbortController().signal, log: createLogger({ quiet: true }) });
const rec = (topic: string, offset: number, value: unknown, key: string | null = null): StreamRecord => ({
  topic,
  partition: 0,
  offset,
  key,
  value,
  timestamp: 1_700_000_000_000 + offset,
  headers: {},
});

// Missing keys and integers beyond 64 bits are in the sink conformance suite; an empty text key is Cassandra's own.
test('cassandra: an empty text key (Cassandra cannot hold one) goes to the dead letters alone', async (t) => {
  const keyspace = await testKeyspace(t);
  if (!keyspace) return;
  const columns = [
    { name: 'k', type: 'text' },
    { name: 'n', type: 'integer' },
  ];
  const sink = createSink('cassandra', { contactPoints: CASSANDRA, keyspace, table: 'kv', columns, key: 'k' });
  await sink.open(ctx());
  const values = [
    { k: 'a', n: 1 },
    { k: '', n: 2 },
    { k: 'c', n: -5 },
  ];
  const r = await sink.write(
    values.map((v, i) => rec('kv', i, v)),
    [{ topic: 'kv', partition: 0, offset: values.length }],
  );
  await sink.close();
  assert.deepEqual(
    r?.rejected?.map((x) => [x.record.value, x.error.code]),
    values.filter((v) => v.k === '').map((v) => [v, 'RUNNEL_SCHEMA_MISMATCH']),
  );
  const got = await cql(`SELECT k, n FROM ${keyspace}.kv`);
  assert.deepEqual(
    got.map((x) => ({ k: x.get('k'), n: Number(x.get('n')) })).sort((x, y) => x.k.localeCompare(y.k)),
    values.filter((v) => v.k !== ''),
  );
});

test('cassandra: a table that exists with other column types is refused in one line, permanently', async (t) => {
  const keyspace = await testKeyspace(t);
  if (!keyspace) return;
  await cql(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  await cql(
    `CREATE TABLE ${keyspace}.events (n text, "_topic" text, "_partition" int, "_offset" bigint, "_key" text, "_timestamp" bigint, PRIMARY KEY (("_topic", "_partition", "_offset")))`,
  );
  const sink = createSink('cassandra', {
    contactPoints: CASSANDRA,
    keyspace,
    table: 'events',
    columns: [{ name: 'n', type: 'integer' }],
  });
  await sink.open(ctx());
  const err = await sink.write([rec('e', 0, { n: 1 })], [{ topic: 'e', partition: 0, offset: 1 }]).then(
    () => undefined,
    (e: unknown) => e,
  );
  await sink.close();
  assert.ok(isRunnelError(err), String(err));
  assert.ok(isPermanent(err), formatError(err));
  assert.equal(err.code, 'RUNNEL_OUTPUT_UNWRITABLE');
  assert.doesNotMatch(formatError(err), /\n/);
  assert.match(
    formatError(err),
    new RegExp(`cassandra://${CASSANDRA.replaceAll('.', '\\.')} \\(table ${keyspace}\\.events\\)`),
  );
});

test('cassandra: a keyspace name Cassandra cannot hold is refused at config, naming the field', () => {
  for (const keyspace of ['my-app', 'x'.repeat(49), '1abc']) {
    assert.throws(
      () => createSink('cassandra', { keyspace, table: 't' }),
      (e: unknown) => isRunnelError(e) && e.code === 'RUNNEL_CONFIG_INVALID' && /keyspace/.test(e.message),
      keyspace,
    );
  }
});

test('cassandra: no node listening is a retriable SINK_UNAVAILABLE naming the address', async () => {
  const sink = createSink('cassandra', { contactPoints: '127.0.0.1:1', keyspace: 'k', table: 't' });
  const err = await sink.open(ctx()).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(isRunnelError(err), String(err));
  assert.equal(err.code, 'RUNNEL_SINK_UNAVAILABLE');
  assert.equal(err.retriable, true);
  assert.match(err.message, /cassandra:\/\/127\.0\.0\.1:1 \(table k\.t\): no node answers/);
});
