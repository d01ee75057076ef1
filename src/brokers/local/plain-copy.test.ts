import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { NOT_PLAIN, plainCopy } from './plain-copy.ts';

test('plainCopy of a JSON value is what JSON gives back, as a new object (property)', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      // A `__proto__` key is refused on purpose (an own property JSON.parse makes, a prototype `=` would set).
      fc.pre(!JSON.stringify(v).includes('"__proto__"'));
      const copy = plainCopy(v);
      assert.deepEqual(copy, JSON.parse(JSON.stringify(v)));
      if (typeof v === 'object' && v !== null) assert.notEqual(copy, v);
    }),
    { numRuns: 500 },
  );
});

test('plainCopy of anything either equals the JSON round trip or says NOT_PLAIN (property)', () => {
  fc.assert(
    fc.property(fc.anything({ withDate: true, withMap: true, withNullPrototype: true, withSparseArray: true }), (v) => {
      const copy = plainCopy(v);
      if (copy === NOT_PLAIN) return;
      assert.deepEqual(copy, JSON.parse(JSON.stringify(v)));
    }),
    { numRuns: 1000 },
  );
});

test('plainCopy refuses what JSON would change: undefined, NaN, a Date, a class, toJSON, __proto__', () => {
  class Point {
    x = 1;
  }
  for (const v of [
    { a: undefined },
    [1, undefined],
    { n: Number.NaN },
    { d: new Date(0) },
    new Point(),
    { toJSON: () => 1 },
    JSON.parse('{"__proto__": {"x": 1}}'),
    { f: () => 1 },
    { b: 1n },
  ])
    assert.equal(plainCopy(v), NOT_PLAIN, String(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? 'big' : x))));
  assert.ok(Object.is(plainCopy(-0), 0), '-0 comes back from JSON as 0');
});
