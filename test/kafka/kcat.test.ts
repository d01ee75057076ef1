/**
 * Interoperability with an independent Kafka client (kcat/librdkafka): what runnel writes is plain JSON
 * on the wire, and what others write (JSON or not) is consumable by runnel.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { KafkaBroker } from '../../src/brokers/kafka/kafka-broker.ts';
import { partitionForKey } from '../../src/core/partitioner.ts';
import { pollN, unique } from '../broker-conformance/suite.ts';
import { needService } from '../helpers/services.ts';
import { KAFKA_ADDRESS, KAFKA_HOW, KAFKA_URL, kafkaAvailable } from './env.ts';
import { hasKcat, KCAT_HOW, kcatProduce } from './kcat.ts';

const run = promisify(execFile);

async function open(t: import('node:test').TestContext): Promise<KafkaBroker | undefined> {
  if (!needService(t, 'kcat', hasKcat, KCAT_HOW)) return undefined;
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return undefined;
  const b = new KafkaBroker(KAFKA_URL);
  await b.connect();
  t.after(() => b.close());
  return b;
}

test('kcat reads the JSON records runnel produced, with keys and headers', { timeout: 60_000 }, async (t) => {
  const b = await open(t);
  if (!b) return;
  const topic = unique('kcat-read');
  await b.createTopic(topic, { partitions: 1 });
  const values = [{ author: 'Alice', message: 'I just loved Python! It was amazing.' }, { n: 42 }, 'text', [1, 2]];
  await b.produce(
    topic,
    values.map((value, i) => ({ key: `k${i}`, value, headers: { source: 'runnel' } })),
  );
  const { stdout } = await run(
    'kcat',
    ['-b', KAFKA_ADDRESS, '-C', '-t', topic, '-e', '-o', 'beginning', '-f', '%k %s %h\n'],
    { timeout: 30_000 },
  );
  const lines = stdout.trim().split('\n');
  assert.deepEqual(
    lines,
    values.map((v, i) => `k${i} ${JSON.stringify(v)} source=runnel`),
  );
});

test('event time far from now rides in a header: Kafka keeps the record (its retention goes by timestamp)', {
  timeout: 60_000,
}, async (t) => {
  const b = await open(t);
  if (!b) return;
  const topic = unique('kcat-time');
  await b.createTopic(topic, { partitions: 1 });
  const replayed = Date.UTC(2025, 0, 1, 15, 0, 0); // the seeds' smoker CSV: over a week old, Kafka would delete it
  const live = Date.now() - 2000;
  const before = Date.now();
  await b.produce(topic, [
    { value: { temperature: 70.4 }, timestamp: replayed },
    { value: { temperature: 71.0 }, timestamp: live },
  ]);
  const { stdout } = await run(
    'kcat',
    ['-b', KAFKA_ADDRESS, '-C', '-t', topic, '-e', '-o', 'beginning', '-f', '%T|%h\n'],
    {
      timeout: 30_000,
    },
  );
  const [old, recent] = stdout
    .trim()
    .split('\n')
    .map((l) => l.split('|'));
  // What other clients and Kafka's retention see: the write time, and the event time in the header.
  assert.ok(Number(old![0]) >= before - 1000 && Number(old![0]) <= Date.now(), `kafka timestamp ${old![0]}`);
  assert.equal(old![1], `runnel.event-time=${replayed}`);
  // Live data keeps its own time as the Kafka timestamp, with no header.
  assert.deepEqual(recent, [String(live), '']);
  // What runnel reads back: the event times, and no internal header.
  const back = await b.read(topic, 0, 0, 10);
  assert.deepEqual(
    back.map((r) => [r.timestamp, r.headers]),
    [
      [replayed, {}],
      [live, {}],
    ],
  );
});

test('runnel consumes what kcat produced: JSON, plain text, numbers, headers', { timeout: 60_000 }, async (t) => {
  const b = await open(t);
  if (!b) return;
  const topic = unique('kcat-write');
  await b.createTopic(topic, { partitions: 1 });
  kcatProduce(
    topic,
    ['k1:{"timestamp":"2025-01-01 12:00:00","temperature":70.2}', 'k2:plain text line', 'k3:42'],
    ['-K', ':', '-H', 'origin=kcat'],
  );
  const c = b.consumer({ group: unique('g'), topics: [topic] });
  t.after(() => c.close());
  const got = await pollN(c, 3);
  assert.deepEqual(
    got.map((r) => [r.key, r.value, r.headers]),
    [
      ['k1', { timestamp: '2025-01-01 12:00:00', temperature: 70.2 }, { origin: 'kcat' }],
      ['k2', 'plain text line', { origin: 'kcat' }],
      ['k3', 42, { origin: 'kcat' }],
    ],
  );
  assert.ok(
    got.every((r) => r.timestamp > Date.now() - 120_000),
    'kcat set the record timestamp',
  );
  // read() without a group decodes the same way (tail, dashboard).
  assert.deepEqual(
    (await b.read(topic, 0, 1, 1)).map((r) => r.value),
    ['plain text line'],
  );
});

test("kcat's Java-compatible partitioner places keys where runnel does", { timeout: 60_000 }, async (t) => {
  const b = await open(t);
  if (!b) return;
  const topic = unique('kcat-keys');
  await b.createTopic(topic, { partitions: 3 });
  const keys = Array.from({ length: 30 }, (_, i) => `sensor-${i}`);
  // librdkafka's default (consistent_random, CRC32) differs from Java's; murmur2_random is Java's.
  kcatProduce(
    topic,
    keys.map((k) => `${k}:{"k":"${k}"}`),
    ['-K', ':', '-X', 'topic.partitioner=murmur2_random'],
  );
  const c = b.consumer({ group: unique('g'), topics: [topic] });
  t.after(() => c.close());
  const got = await pollN(c, keys.length);
  assert.equal(got.length, keys.length);
  for (const r of got) assert.equal(r.partition, partitionForKey(r.key!, 3), `key ${r.key}`);
  const ours = await b.produce(
    topic,
    keys.map((key) => ({ key, value: 1 })),
  );
  for (const [i, p] of ours.entries()) assert.equal(p.partition, partitionForKey(keys[i]!, 3));
});
