import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { placesOf } from './places-of.ts';

test('placesOf names every partition once, in order, its smallest offsets in order and how many more', () => {
  const record = fc.record({ partition: fc.nat(5), offset: fc.nat(1000) });
  fc.assert(
    fc.property(fc.array(record, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 6 }), (records, shown) => {
      const text = placesOf(records, shown);
      const parts = text.split('; ');
      const partitions = [...new Set(records.map((r) => r.partition))].sort((a, b) => a - b);
      assert.equal(parts.length, partitions.length);
      parts.forEach((part, i) => {
        const offsets = records
          .filter((r) => r.partition === partitions[i])
          .map((r) => r.offset)
          .sort((a, b) => a - b);
        const m = /^partition (\d+) offsets? ([\d, ]+?)(?: and (\d+) more)?$/.exec(part);
        assert.ok(m, part);
        assert.equal(Number(m[1]), partitions[i]);
        assert.deepEqual(m[2]!.split(', ').map(Number), offsets.slice(0, shown));
        assert.equal(Number(m[3] ?? 0), Math.max(0, offsets.length - shown));
      });
    }),
  );
});
