// A chunk whose produce got no answer is looked up in the log before it is sent again: found there (whole,
// at the offset it would have had) it is not resent; missing, or with another producer's records there, it is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KafkaBroker } from '../../src/brokers/kafka/kafka-broker.ts';
import { type InDoubt, landedPartitions } from '../../src/brokers/kafka/produce-doubt.ts';
import type { OutgoingRecord } from '../../src/core/record.ts';
import { unique } from '../broker-conformance/suite.ts';
import { needService } from '../helpers/services.ts';
import { KAFKA_HOW, KAFKA_URL, kafkaAvailable } from './env.ts';

test('kafka: an unanswered chunk is found in the log where it landed, and only there', async (t) => {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return;
  const b = new KafkaBroker(KAFKA_URL);
  await b.connect();
  t.after(() => b.close());
  const topic = unique('doubt');
  await b.createTopic(topic, { partitions: 3 });
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
