import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TopicPartitionOffset } from '../../core/record.ts';
import { firstOffsets, unsettledWrites } from './kafka-state-backend.ts';

test("a transaction's first offset per partition is the lowest base offset its sends were given there", () => {
  const written = new Map<string, TopicPartitionOffset>();
  firstOffsets(written, [
    { topic: 'out', partition: 0, offset: 40n },
    { topic: 'out', partition: 1, offset: 7n },
  ]);
  // A later chunk of the same transaction lands after the first one: it does not move the first offset.
  firstOffsets(written, [
    { topic: 'out', partition: 0, offset: 90n },
    { topic: 'log', partition: 0, offset: 3n },
  ]);
  assert.deepEqual(
    [...written.values()],
    [
      { topic: 'out', partition: 0, offset: 40 },
      { topic: 'out', partition: 1, offset: 7 },
      { topic: 'log', partition: 0, offset: 3 },
    ],
  );
});

test('writes are settled only once every partition they went to has its stable end past them', () => {
  const written: TopicPartitionOffset[] = [
    { topic: 'out', partition: 0, offset: 40 },
    { topic: 'out', partition: 1, offset: 7 },
  ];
  const ends = (e0: number, e1?: number) =>
    new Map([['out:0', { end: e0 }], ...(e1 === undefined ? [] : [['out:1', { end: e1 }] as const])]);
  // Commit marker not written yet: the stable end stays at the transaction's first offset.
  assert.equal(unsettledWrites(written, ends(40, 12)), true);
  assert.equal(unsettledWrites(written, ends(45, 7)), true);
  // A partition whose end was not answered is not taken as settled.
  assert.equal(unsettledWrites(written, ends(45)), true);
  assert.equal(unsettledWrites(written, ends(41, 8)), false);
  assert.equal(unsettledWrites([], ends(0)), false, 'a transaction that wrote nothing has nothing to wait for');
});
