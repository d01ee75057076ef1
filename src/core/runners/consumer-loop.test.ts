import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { StreamRecord } from '../record.ts';
import { positionsOf } from './consumer-loop.ts';

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
