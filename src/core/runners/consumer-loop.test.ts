import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Broker, Consumer } from '../broker.ts';
import { silentLogger } from '../log.ts';
import type { StreamRecord } from '../record.ts';
import { StatusCell } from '../status-cell.ts';
import { ConsumerLoop, positionsOf } from './consumer-loop.ts';

const rec = (topic: string, partition: number, offset: number): StreamRecord => ({
  topic,
  partition,
  offset,
  key: null,
  value: null,
  timestamp: 0,
  headers: {},
});

test('positionsOf: the highest next offset per partition, in order of first appearance, however the batch interleaves', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1000 })), {
        maxLength: 60,
      }),
      (xs) => {
        const records = xs.map(([t, p, o]) => rec(t, p, o));
        const want = new Map<string, { topic: string; partition: number; offset: number }>();
        for (const r of records) {
          const k = `${r.topic}\u0000${r.partition}`;
          const next = Math.max(want.get(k)?.offset ?? 0, r.offset + 1);
          want.set(k, { topic: r.topic, partition: r.partition, offset: next });
        }
        assert.deepEqual(positionsOf(records), [...want.values()]);
      },
    ),
    { numRuns: 300 },
  );
});

test('lingerMs: a batch begun gathers what the next polls bring, up to maxRecords, as one handle', async () => {
  // A consumer that hands out 100 records a poll, as a caught-up sink sees a source's batches arrive.
  const N = 2000;
  let next = 0;
  const consumer: Consumer = {
    poll: async (o) => {
      const n = Math.min(100, o?.maxRecords ?? 100, N - next);
      return Array.from({ length: n }, () => rec('t', 0, next++));
    },
    commit: async () => {},
    seek: () => {},
    assignment: () => [{ topic: 't', partition: 0 }],
    close: async () => {},
  };
  const broker = { listGroups: async () => [], consumer: () => consumer } as unknown as Broker;
  const handled: number[] = [];
  const stop = new AbortController();
  const loop = new ConsumerLoop({
    broker,
    group: 'g',
    topics: ['t'],
    status: new StatusCell({ app: 'a', pipeline: 'p', pid: 0, component: 'sink', name: 's', topics: ['t'] }),
    log: silentLogger,
    signal: stop.signal,
    maxRecords: 500,
    // Long enough that the polls, which answer at once, fill every batch first.
    lingerMs: 60_000,
    handle: async (records) => {
      handled.push(records.length);
      if (handled.reduce((a, b) => a + b, 0) >= N) stop.abort();
    },
  });
  await loop.run();
  assert.deepEqual(
    handled,
    Array.from({ length: N / 500 }, () => 500),
  );
});
