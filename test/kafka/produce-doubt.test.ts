// A chunk whose produce got no answer is looked up in the log before it is sent again: found there (whole,
// at the offset it would have had) it is not resent; missing, or with another producer's records there, it is.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { KafkaBroker, kSend } from '../../src/brokers/kafka/kafka-broker.ts';
import { type InDoubt, landedPartitions } from '../../src/brokers/kafka/produce-doubt.ts';
import { produceAll } from '../../src/core/broker.ts';
import { silentLogger } from '../../src/core/log.ts';
import type { OutgoingRecord } from '../../src/core/record.ts';
import { unique } from '../broker-conformance/suite.ts';
import { needService } from '../helpers/services.ts';
import { KAFKA_HOW, KAFKA_URL, kafkaAvailable } from './env.ts';

/** A broker on the test Kafka and a new 3-partition topic, or undefined when Kafka is away (skip). */
async function brokerWithTopic(t: TestContext, prefix: string): Promise<{ b: KafkaBroker; topic: string } | undefined> {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return undefined;
  const b = new KafkaBroker(KAFKA_URL);
  await b.connect();
  t.after(() => b.close());
  const topic = unique(prefix);
  await b.createTopic(topic, { partitions: 3 });
  return { b, topic };
}

/** Every `i` the topic holds, sorted. */
async function valuesOf(b: KafkaBroker, topic: string): Promise<number[]> {
  const got: number[] = [];
  for (const p of (await b.describeTopic(topic))!.partitions) {
    for (const r of await b.read(topic, p.partition, 0, p.endOffset)) got.push((r.value as { i: number }).i);
  }
  return got.sort((x, y) => x - y);
}

/** A send whose connection closed: the client's own network error. */
const lost = () => Object.assign(new Error('Connection closed'), { code: 'PLT_KFK_NETWORK', canRetry: true });
const retryOptions = () => ({ signal: new AbortController().signal, log: silentLogger });

test('kafka: an unanswered chunk is found in the log where it landed, and only there', async (t) => {
  const k = await brokerWithTopic(t, 'doubt');
  if (!k) return;
  const { b, topic } = k;
  const records = (from: number, n: number): OutgoingRecord[] =>
    Array.from({ length: n }, (_, i) => ({
      key: `k${(from + i) % 7}`,
      value: { i: from + i },
      // One far in the past: its event time travels in a header, the Kafka timestamp is the write time.
      ...(i === 3 ? { timestamp: Date.UTC(2020, 0, 1) } : {}),
    }));
  await b.produce(topic, records(0, 50));
  const ends = new Map((await b.describeTopic(topic))!.partitions.map((p) => [p.partition, p.endOffset]));

  // What the chunk would be: encoded as produce encodes it, against the ends before it.
  const chunk = records(50, 40);
  const messages = await b.encode(topic, chunk);
  const doubt: InDoubt = { topic, first: chunk[0]!, messages, before: new Map(ends) };
  const partitions = new Set(messages.map((m) => m.partition));
  assert.ok(partitions.size > 1, 'the chunk spans partitions');
  assert.deepEqual([...(await landedPartitions(b.reader, doubt))], [], 'nothing of it is in the log yet');

  // Now it lands (the send whose answer was lost), with the same bytes and timestamps.
  await b.producer.send({ messages: messages as never });
  assert.deepEqual(
    [...(await landedPartitions(b.reader, doubt))].sort(),
    [...partitions].sort(),
    'every partition of it is found',
  );
  // Another producer's records where the chunk would be are not taken for it.
  const other = { ...doubt, messages: messages.map((m) => ({ ...m, value: Buffer.from('{"other":true}') })) };
  assert.deepEqual([...(await landedPartitions(b.reader, other))], []);
  // Nor are records that differ only in a header (two steps' equal markers, told apart by their headers).
  const headed = {
    ...doubt,
    messages: messages.map((m) => ({ ...m, headers: new Map([[Buffer.from('runnel.x'), Buffer.from('1')]]) })),
  };
  assert.deepEqual([...(await landedPartitions(b.reader, headed))], []);
  // Nor is the chunk looked for one record too late.
  const shifted = { ...doubt, before: new Map([...ends].map(([p, e]) => [p, e + 1])) };
  assert.deepEqual([...(await landedPartitions(b.reader, shifted))], []);
});

/**
 * Through the whole produce: a chunk's send fails (landed with its answer lost, or not landed), the runtime's
 * retry (produceAll) sends the rest, and the topic holds every record exactly once. Records big enough for
 * several chunks, so a failure in the middle leaves acknowledged chunks before it.
 */
for (const lands of [true, false]) {
  test(`kafka: a chunk whose send failed (${lands ? 'landed, answer lost' : 'not landed'}) is in the topic once after the retry`, async (t) => {
    const k = await brokerWithTopic(t, 'doubt-run');
    if (!k) return;
    const { b, topic } = k;
    const pad = 'x'.repeat(2000);
    const records = Array.from({ length: 1200 }, (_, i) => ({ key: `k${i % 11}`, value: { i, pad } }));
    const sends: number[] = [];
    b[kSend] = async (messages) => {
      sends.push(messages.length);
      // The second chunk of the first attempt fails; everything after goes through.
      if (sends.length !== 2) return b.producer.send({ messages: messages as never });
      if (lands) await b.producer.send({ messages: messages as never });
      throw lost();
    };
    await produceAll(b, topic, records, 'test: produce', retryOptions());
    assert.ok(sends.length >= 3, `the records went in several chunks (${sends.join(', ')})`);
    const got = await valuesOf(b, topic);
    assert.equal(got.length, records.length, 'no record twice, none missing');
    assert.deepEqual(
      got,
      records.map((r) => r.value.i),
    );
    // Only what did not land was sent again: the failed chunk once more when it had not landed, never when it had.
    const total = sends.reduce((n, x) => n + x, 0);
    assert.equal(total, records.length + (lands ? 0 : sends[1]!));
  });
}

test('kafka: two failed produces to one topic (two sinks dead-lettering at once), each retried: every record once', async (t) => {
  const k = await brokerWithTopic(t, 'doubt-two');
  if (!k) return;
  const { b, topic } = k;
  const a = Array.from({ length: 30 }, (_, i) => ({ key: `a${i}`, value: { i } }));
  const c = Array.from({ length: 30 }, (_, i) => ({ key: `c${i}`, value: { i: 100 + i } }));
  // Both land and both answers are lost; then a produce that goes through, then the two retries.
  b[kSend] = async (messages) => {
    await b.producer.send({ messages: messages as never });
    throw lost();
  };
  await assert.rejects(b.produce(topic, a));
  await assert.rejects(b.produce(topic, c));
  b[kSend] = undefined;
  await b.produce(topic, [{ key: 'between', value: { i: 1000 } }]);
  await b.produce(topic, a);
  await b.produce(topic, c);
  assert.deepEqual(await valuesOf(b, topic), [...a, ...c].map((r) => r.value.i).concat(1000));
});

test('kafka: a failed chunk that landed on some partitions only: the retry sends the rest, once', async (t) => {
  const k = await brokerWithTopic(t, 'doubt-part');
  if (!k) return;
  const { b, topic } = k;
  const records = Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: { i } }));
  let sentFirst = 0;
  b[kSend] = async (messages) => {
    // One partition's batch is appended, the others fail (as when one leader is away).
    const one = messages.filter((m) => m.partition === messages[0]!.partition);
    sentFirst = one.length;
    await b.producer.send({ messages: one as never });
    b[kSend] = undefined;
    throw lost();
  };
  await produceAll(b, topic, records, 'test: produce', retryOptions());
  assert.ok(sentFirst > 0 && sentFirst < records.length);
  assert.deepEqual(
    await valuesOf(b, topic),
    records.map((r) => r.value.i),
  );
});
