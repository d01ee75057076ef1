/**
 * Topics written by a transactional producer (Kafka Streams, Flink, any exactly-once writer; here KafkaJS):
 * runnel reads committed records only, as Kafka's own consumers do by default, never the records of an
 * aborted transaction or of one still open.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaBroker } from '../../src/brokers/kafka/kafka-broker.ts';
import { OverviewModel } from '../../src/server/overview.ts';
import { pollN, unique } from '../broker-conformance/suite.ts';
import { needService } from '../helpers/services.ts';
import { KAFKA_ADDRESS, KAFKA_HOW, KAFKA_URL, kafkaAvailable } from './env.ts';

/** A one-partition topic and a KafkaJS transactional producer on it, closed after the test. */
async function transactional(t: TestContext, name: string) {
  const topic = unique(name);
  const b = new KafkaBroker(KAFKA_URL);
  await b.connect();
  t.after(() => b.close());
  await b.createTopic(topic, { partitions: 1 });
  const kafka = new Kafka({ clientId: name, brokers: [KAFKA_ADDRESS], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ transactionalId: unique('txid'), maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  t.after(() => producer.disconnect());
  const send = async (values: string[], end: 'commit' | 'abort') => {
    const tx = await producer.transaction();
    await tx.send({ topic, messages: values.map((v) => ({ value: JSON.stringify({ v }) })) });
    await tx[end]();
  };
  /** Committed and its markers written (Kafka answers EndTxn before it writes them). */
  const settled = async () => {
    const deadline = Date.now() + 15_000;
    while ((await b.pendingWrites([topic])) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  };
  return { topic, b, producer, send, settled };
}

test('runnel skips aborted and open transactions of another client, and reads what they commit', {
  timeout: 120_000,
}, async (t) => {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return;
  const { topic, b, producer, send, settled } = await transactional(t, 'tx');
  await send(['a', 'b', 'c'], 'commit');
  await send(['x', 'y'], 'abort');
  await send(['d'], 'commit');
  const open = await producer.transaction();
  await open.send({ topic, messages: [{ value: JSON.stringify({ v: 'pending' }) }] });

  const c = b.consumer({ group: unique('g'), topics: [topic] });
  t.after(() => c.close());
  const got = await pollN(c, 4);
  assert.deepEqual(
    got.map((r) => (r.value as { v: string }).v),
    ['a', 'b', 'c', 'd'],
  );
  // Nothing past the open transaction yet: not its record, nor the aborted ones.
  assert.deepEqual(await c.poll({ maxWaitMs: 1500 }), []);
  // A drain waiting for the topic to stop growing must know a write is under way (see pendingWrites).
  assert.equal(await b.pendingWrites([topic]), true, 'an open transaction is a pending write');
  await open.commit();
  const after = await pollN(c, 1);
  assert.deepEqual(
    after.map((r) => (r.value as { v: string }).v),
    ['pending'],
  );
  assert.deepEqual(
    (await b.read(topic, 0, 0, 100)).map((r) => (r.value as { v: string }).v),
    ['a', 'b', 'c', 'd', 'pending'],
  );
  // Committed and its marker written: nothing pending, and the visible end is past the record.
  await settled();
  assert.equal(await b.pendingWrites([topic]), false);
  assert.equal(await b.pendingWrites([unique('no-such-topic')]), false);
});

test("on Kafka offsets are not records (commit markers take some), and the dashboard's overview says offsets", {
  timeout: 120_000,
}, async (t) => {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return;
  const { topic, b, send, settled } = await transactional(t, 'tx-count');
  await send(['a', 'b', 'c'], 'commit');
  await send(['d', 'e'], 'commit');
  await settled();
  const records = (await b.read(topic, 0, 0, 100)).length;
  const model = new OverviewModel(b, []);
  const view = await model.refresh();
  const stat = view.topics.find((s) => s.name === topic);
  assert.equal(b.offsetsAreRecords, false);
  assert.equal(view.unit, 'offsets');
  assert.ok(stat && stat.total > records, `${stat?.total} offsets for ${records} records: the markers take offsets`);
});
