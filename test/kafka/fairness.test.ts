/**
 * A consumer of several partitions keeps every one moving. Kafka returns a batch larger than a fetch's
 * per-partition limit only for the first partition of a response: with a small limit and a fixed order,
 * partitions behind a busy first one made no progress until it was drained.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KafkaBroker } from '../../src/brokers/kafka/kafka-broker.ts';
import type { StreamRecord } from '../../src/core/record.ts';
import { unique } from '../broker-conformance/suite.ts';
import { needService } from '../helpers/services.ts';
import { KAFKA_HOW, KAFKA_URL, kafkaAvailable } from './env.ts';

test('big batches on one busy partition do not starve the others', { timeout: 120_000 }, async (t) => {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return;
  const b = new KafkaBroker(KAFKA_URL);
  await b.connect();
  t.after(() => b.close());
  const topic = unique('fair');
  await b.createTopic(topic, { partitions: 3 });
  const pad = 'x'.repeat(1000);
  // ~700 KiB batches (runnel's producer writes up to 768 KiB): six on partition 0, one each on 1 and 2.
  const batchOf = (partition: number, n: number) =>
    Array.from({ length: 700 }, (_, i) => ({ partition, value: { n: n * 700 + i, pad } }));
  for (let n = 0; n < 6; n++) await b.produce(topic, batchOf(0, n));
  await b.produce(topic, batchOf(1, 0));
  await b.produce(topic, batchOf(2, 0));

  const c = b.consumer({ group: unique('g'), topics: [topic] });
  t.after(() => c.close());
  const got: StreamRecord[] = [];
  const deadline = Date.now() + 60_000;
  while (got.length < 8 * 700 && Date.now() < deadline) got.push(...(await c.poll({ maxRecords: 700 })));
  assert.equal(got.length, 8 * 700);
  // Partitions 1 and 2 were done long before partition 0 was: at most half of it came first.
  const lastOfOthers = Math.max(...[1, 2].map((p) => got.findLastIndex((r) => r.partition === p)));
  const zeroBefore = got.slice(0, lastOfOthers).filter((r) => r.partition === 0).length;
  assert.ok(zeroBefore <= 3 * 700, `${zeroBefore} records of partition 0 came before the others finished`);
});
