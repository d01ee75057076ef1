import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { murmur2, Partitioner, partitionForKey } from './partitioner.ts';

// Reference values from Kafka's own Utils.murmur2 test (clients/src/test/.../UtilsTest.java).
test('murmur2 matches Kafka reference values', () => {
  const cases: Array<[string, number]> = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [input, expected] of cases) {
    assert.equal(murmur2(new TextEncoder().encode(input)), expected, input);
  }
});

test('partitionForKey is stable and within range', () => {
  for (const n of [1, 3, 12]) {
    for (const key of ['Alice', 'Bob', 'Charlie', 'Eve', '']) {
      const p = partitionForKey(key, n);
      assert.ok(p >= 0 && p < n);
      assert.equal(partitionForKey(key, n), p);
    }
  }
});

test("partitionForKey is Kafka's murmur2 rule, asked once or again, for any partition count", () => {
  const rule = (key: string, n: number) => (murmur2(new TextEncoder().encode(key)) & 0x7fffffff) % n;
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 2000; i++) {
      const key = `key-${i}-\u00e9${'x'.repeat(i % 7)}`;
      for (const n of [2, 6, 7]) assert.equal(partitionForKey(key, n), rule(key, n), `${key} over ${n}`);
    }
  }
});

test('partitionForKey on any string (ASCII, accents, emoji, lone surrogates, long) equals murmur2 of its TextEncoder bytes', () => {
  const rule = (key: string, n: number) => (murmur2(new TextEncoder().encode(key)) & 0x7fffffff) % n;
  fc.assert(
    fc.property(
      fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', maxLength: 400 })),
      fc.integer({ min: 1, max: 64 }),
      (key, n) => partitionForKey(key, n) === rule(key, n),
    ),
    { numRuns: 2000 },
  );
});

test('Partitioner: a named partition wins, keys hash, keyless records take each topic partitions in turn', () => {
  const p = new Partitioner();
  assert.equal(p.choose('t', 3, { key: 'Alice', partition: 2 }), 2);
  assert.throws(() => p.choose('t', 3, { partition: 3 }), /topic t has no partition 3/);
  assert.equal(p.choose('t', 3, { key: 'Alice' }), partitionForKey('Alice', 3));
  // Interleaved topics each keep their own turn, so one topic's records never skip another's partitions.
  const got = Array.from({ length: 6 }, (_, i) => p.choose(i % 2 === 0 ? 'a' : 'b', 3, { key: null }));
  assert.deepEqual(got, [0, 0, 1, 1, 2, 2]);
});
