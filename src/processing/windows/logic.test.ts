import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { stateKey } from './logic.ts';

test('stateKey is the JSON array of its parts, for any key (its fast path included)', () => {
  const tricky = ['', 'a', 'author-001', 'a"b', 'a\\b', '\n', '\u0000', 'é', '😀', '\ud800', '\u2028'];
  for (const k of tricky)
    for (const n of [0, -0, 1.5, -10_000, 1e21, 1_735_732_800_000])
      assert.equal(stateKey(k, n), JSON.stringify([k, n]));
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constant(null)), fc.double(), (k, n) => {
      assert.equal(stateKey(k, n), JSON.stringify([k, n]));
      assert.equal(stateKey(k), JSON.stringify([k]));
    }),
    { numRuns: 2000 },
  );
});
