import assert from 'node:assert/strict';
import { test } from 'node:test';
import { murmur2, partitionForKey } from './partitioner.ts';

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
