import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sleep } from '../../core/backoff.ts';
import type { StreamRecord } from '../../core/record.ts';
import { LocalBroker } from './local-broker.ts';
import { HOLD_LEAD_RECORDS, HOLD_MAX_RECORDS, SharedReaders, STILL_MS } from './shared-readers.ts';

test('a reader waits for a working reader behind it within the kept batches; not for one still, or far behind', () => {
  const r = new SharedReaders();
  const [fast, slow] = [{}, {}];
  r.stand(slow, 1, 0, 1000, 0);
  const ahead = (at: number, now = 10) => r.aheadOfOthers(fast, 1, 0, at, now);
  assert.equal(ahead(1000 + HOLD_LEAD_RECORDS), false, 'at the lead: reads on');
  assert.equal(ahead(1001 + HOLD_LEAD_RECORDS), true, 'past it: waits');
  assert.equal(ahead(1000 + HOLD_MAX_RECORDS), true);
  assert.equal(ahead(1001 + HOLD_MAX_RECORDS), false, 'so far behind its batches are gone anyway: reads on');
  assert.equal(ahead(1001 + HOLD_LEAD_RECORDS, STILL_MS + 1), false, 'one that has not moved for a while holds nobody');
  assert.equal(r.aheadOfOthers(fast, 1, 1, 1001 + HOLD_LEAD_RECORDS, 10), false, 'another partition');
  assert.equal(r.aheadOfOthers(fast, 2, 0, 1001 + HOLD_LEAD_RECORDS, 10), false, 'another topic');
  assert.equal(r.aheadOfOthers(slow, 1, 0, 1000, 10), false, 'never behind itself');
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
  assert.equal(own, 0, `the slow reader parsed ${own} of ${total} records again`);
  await slow.close();
  await fast.close();
  await b.close();
});
