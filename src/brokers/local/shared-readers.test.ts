import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sleep } from '../../core/backoff.ts';
import type { StreamRecord } from '../../core/record.ts';
import { LocalBroker } from './local-broker.ts';
import { HOLD_LEAD_RECORDS, HOLD_MAX_RECORDS, SharedReaders, STILL_MS } from './shared-readers.ts';

test('a reader with a backlog waits for a working reader behind it within the kept batches; not for one still, or far behind', () => {
  const r = new SharedReaders();
  const [fast, slow] = [{}, {}];
  const far = 10_000_000; // the partition's end: the fast reader has a backlog of its own
  const shape = { partitions: 1, end: () => far };
  r.stand(slow, 1, 0, 1000, 0);
  r.stand(fast, 1, 0, 0, 0);
  const ahead = (at: number, now = 10, s = shape) => r.aheadOfOthers(fast, 1, 0, at, s, now);
  assert.equal(ahead(1000 + HOLD_LEAD_RECORDS), false, 'at the lead: reads on');
  assert.equal(ahead(1001 + HOLD_LEAD_RECORDS), true, 'past it: waits');
  assert.equal(ahead(1000 + HOLD_MAX_RECORDS), true);
  assert.equal(ahead(1001 + HOLD_MAX_RECORDS), false, 'so far behind its batches are gone anyway: reads on');
  assert.equal(ahead(1001 + HOLD_LEAD_RECORDS, STILL_MS + 1), false, 'one that has not moved for a while holds nobody');
  assert.equal(r.aheadOfOthers(fast, 1, 1, 1001 + HOLD_LEAD_RECORDS, shape, 10), false, 'another partition');
  assert.equal(r.aheadOfOthers(fast, 2, 0, 1001 + HOLD_LEAD_RECORDS, shape, 10), false, 'another topic');
  assert.equal(r.aheadOfOthers(slow, 1, 0, 1000, shape, 10), false, 'never behind itself');
  // At the live end (no backlog beyond the lead), a step keeps up with its input whatever a sink does.
  const live = 1001 + HOLD_LEAD_RECORDS;
  assert.equal(ahead(live, 10, { partitions: 1, end: () => live + HOLD_LEAD_RECORDS }), false);
  assert.equal(ahead(live, 10, { partitions: 1, end: () => live + HOLD_LEAD_RECORDS + 1 }), true);
  // The batches kept are per topic: over 4 partitions a quarter of the lead is enough to wait.
  const four = { partitions: 4, end: () => far };
  assert.equal(ahead(1000 + HOLD_LEAD_RECORDS / 4, 10, four), false);
  assert.equal(ahead(1001 + HOLD_LEAD_RECORDS / 4, 10, four), true);
  assert.equal(ahead(1001 + HOLD_MAX_RECORDS / 4, 10, four), false);
  // A reader that waits works: it holds back the one ahead of it, though it has not moved for a while.
  const [first, middle] = [{}, {}];
  r.stand(middle, 1, 0, 1001 + HOLD_LEAD_RECORDS, 0);
  // The first is beyond the slowest's window, within the middle's.
  const firstAt = 1001 + HOLD_LEAD_RECORDS + 64_000;
  r.stand(first, 1, 0, firstAt, 0);
  r.stand(slow, 1, 0, 1001, STILL_MS + 500); // the slowest moves on
  assert.equal(r.aheadOfOthers(middle, 1, 0, 1001 + HOLD_LEAD_RECORDS, shape, STILL_MS + 500), false, 'at the lead');
  r.stand(slow, 1, 0, 1000, STILL_MS + 500);
  assert.equal(r.aheadOfOthers(middle, 1, 0, 1001 + HOLD_LEAD_RECORDS, shape, STILL_MS + 500), true);
  assert.equal(r.aheadOfOthers(first, 1, 0, firstAt, shape, STILL_MS + 600), true, 'held by the waiting middle');
  r.leave(middle);
  assert.equal(r.aheadOfOthers(first, 1, 0, firstAt, shape, STILL_MS + 600), false);
  r.leave(first);
  r.leave(slow, 1, 0);
  assert.equal(ahead(1001 + HOLD_LEAD_RECORDS), false, 'gone from that partition');
  r.stand(slow, 1, 0, 1000, 0);
  r.leave(slow);
  assert.equal(ahead(1001 + HOLD_LEAD_RECORDS), false, 'closed');
});

test('two shared readers of a filled topic, one slow: the slow one gets the batches the fast one decoded, never its own', {
  timeout: 120_000,
}, async () => {
  const url = `local:${join(mkdtempSync(join(tmpdir(), 'runnel-shared-')), 'broker.db')}`;
  // Filled by another connection, so nothing of it is kept decoded from the append: every batch is parsed
  // by the first reader that reaches it.
  const producer = new LocalBroker(url);
  await producer.connect();
  await producer.createTopic('filled', { partitions: 1 });
  const total = HOLD_MAX_RECORDS + 2 * HOLD_LEAD_RECORDS + 50_000;
  for (let from = 0; from < total; from += 10_000)
    await producer.produce(
      'filled',
      Array.from({ length: 10_000 }, (_, i) => ({ value: { i: from + i } })),
    );
  await producer.close();
  const b = new LocalBroker(url);
  await b.connect();
  const got = { fast: new Map<number, unknown>(), slow: new Map<number, unknown>() };
  const slow = b.consumer({ group: 'slow', topics: ['filled'], readOnly: true });
  const fast = b.consumer({ group: 'fast', topics: ['filled'], readOnly: true });
  const take = (into: Map<number, unknown>, records: StreamRecord[]) => {
    for (const r of records) into.set(r.offset, r.value);
  };
  // The slow one reads first, so it stands somewhere before the fast one starts.
  take(got.slow, await slow.poll({ maxRecords: 500, maxWaitMs: 50 }));
  const fastRun = (async () => {
    while (got.fast.size < total) take(got.fast, await fast.poll({ maxRecords: 5000, maxWaitMs: 50 }));
  })();
  while (got.slow.size < total) {
    take(got.slow, await slow.poll({ maxRecords: 500, maxWaitMs: 50 }));
    await sleep(1); // a sink's write
  }
  await fastRun;
  let own = 0;
  for (const [offset, value] of got.slow) {
    assert.deepEqual(value, { i: offset });
    if (got.fast.get(offset) !== value) own++;
  }
  // None, unless the machine paused the slow reader for over a second (STILL_MS): then the fast one reads on,
  // and some batches are parsed twice. Without the hold it is nearly all of them.
  assert.ok(own <= total / 10, `the slow reader parsed ${own} of ${total} records again`);
  await slow.close();
  await fast.close();
  await b.close();
});
