import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalBroker } from '../../brokers/local/local-broker.ts';
import { partitionForKey } from '../partitioner.ts';
import { markPartitionEnds, newestRunMarks, RUN_HEADER } from './run-mark.ts';

const batch = (n: number) => Array.from({ length: n }, (_, i) => ({ key: String(i + 1), value: i + 1 }));

test("markPartitionEnds marks each partition's last record of the batch, and only those", () => {
  const records = batch(50);
  const marked = markPartitionEnds(records, 6, 'm').records;
  const last = new Map<number, number>();
  for (const [i, r] of records.entries()) last.set(partitionForKey(r.key, 6), i);
  assert.equal(last.size, 6);
  marked.forEach((r, i) => {
    const mine = last.get(partitionForKey(r.key!, 6)) === i;
    assert.equal(r.headers?.[RUN_HEADER], mine ? 'm' : undefined, `record ${i}`);
  });
  assert.equal(records[49]!.value, marked[49]!.value, 'the values are the same objects');
  assert.equal((records[0] as { headers?: unknown }).headers, undefined, 'the batch itself is left as it was');
});

test('markPartitionEnds also marks the last record when it has no key (it could land anywhere)', () => {
  const marked = markPartitionEnds([{ key: '1', value: 1 }, { value: 2 }], 3, 'm').records;
  assert.deepEqual(
    marked.map((r) => r.headers?.[RUN_HEADER]),
    ['m', 'm'],
  );
});

test("newestRunMarks: each partition's newest mark, found back past unmarked records within reach", async () => {
  const b = new LocalBroker(`local:${join(mkdtempSync(join(tmpdir(), 'runnel-run-mark-')), 'broker.db')}`);
  await b.connect();
  try {
    await b.createTopic('t', { partitions: 3 });
    assert.deepEqual(await newestRunMarks(b, 't', 100), []);
    await b.produce('t', markPartitionEnds(batch(30), 3, 'tick 0').records);
    await b.produce('t', markPartitionEnds(batch(30), 3, 'tick 1').records);
    assert.deepEqual(await newestRunMarks(b, 't', 100), ['tick 1', 'tick 1', 'tick 1']);
    // Half a tick without marks after them (a kill -9 between a tick's chunks on Kafka): still found.
    await b.produce('t', batch(15));
    assert.deepEqual(await newestRunMarks(b, 't', 100), ['tick 1', 'tick 1', 'tick 1']);
    assert.deepEqual(await newestRunMarks(b, 't', 1), [], 'none within one offset of the ends');
  } finally {
    await b.close();
  }
});
