import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Broker } from '../core/broker.ts';
import type { StreamRecord } from '../core/record.ts';
import { Tailer } from './tailer.ts';

/**
 * A topic of one partition whose offsets have holes, as a Kafka topic written in transactions has (each
 * commit marker takes an offset no consumer sees): a read at a hole gives the next record.
 */
function brokerWithHoles(offsets: number[], end: number): Broker {
  const records: StreamRecord[] = offsets.map((offset) => ({
    topic: 't',
    partition: 0,
    offset,
    key: null,
    value: { offset },
    timestamp: offset,
    headers: {},
  }));
  const fake = {
    describeTopic: async () => ({ name: 't', partitions: [{ partition: 0, startOffset: 0, endOffset: end }] }),
    read: async (_t: string, _p: number, from: number, max: number) =>
      records.filter((r) => r.offset >= from).slice(0, max),
  };
  return fake as unknown as Broker;
}

test("a panel's older history sampled from a topic with offset holes takes each record once, none from the tail's history", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 300 }),
      fc.integer({ min: 1, max: 60 }),
      fc.integer({ min: 1, max: 200 }),
      async (offsets, count, history) => {
        const sorted = offsets.toSorted((a, b) => a - b);
        const end = sorted.at(-1)! + 1 + (sorted.length % 3);
        const tailer = new Tailer(brokerWithHoles(sorted, end), { history });
        const got = (await tailer.sample('t', count)).map((r) => r.offset);
        assert.equal(new Set(got).size, got.length, `no record twice: ${got.join(',')}`);
        const upTo = Math.max(0, end - history);
        assert.ok(
          got.every((o) => o < upTo && sorted.includes(o)),
          'only records before the history the tail keeps',
        );
        assert.deepEqual(
          got,
          got.toSorted((a, b) => a - b),
          'in offset order',
        );
      },
    ),
  );
});
