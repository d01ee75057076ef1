import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { isPlain, NOT_PLAIN, plainCopy } from './plain-copy.ts';

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

/** Values JSON would give back changed, or not at all. */
function notJson(): unknown[] {
  class Point {
    x = 1;
  }
  class Row extends Array<number> {}
  return [
    Object.assign([1], { toJSON: () => 'x' }),
    Row.from([1]),
    { a: undefined },
    [1, undefined],
    { n: Number.NaN },
    { d: new Date(0) },
    new Point(),
    { toJSON: () => 1 },
    JSON.parse('{"__proto__": {"x": 1}}'),
    { f: () => 1 },
    { b: 1n },
  ];
}
const shown = (v: unknown) => String(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? 'big' : x)));

test("plainCopy refuses what JSON would change: undefined, NaN, a Date, a class, toJSON (also an array's), __proto__", () => {
  for (const v of notJson()) assert.equal(plainCopy(v), NOT_PLAIN, shown(v));
  assert.ok(Object.is(plainCopy(-0), 0), '-0 comes back from JSON as 0');
});

test('isPlain says yes exactly when plainCopy gives back a value equal to the one it copied (property)', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.jsonValue(),
        fc.anything({ withDate: true, withMap: true, withNullPrototype: true, withSparseArray: true }),
      ),
      (v) => {
        const copy = plainCopy(v);
        const same = copy !== NOT_PLAIN && isDeepStrictEqual(copy, v);
        assert.equal(isPlain(v), same, shown(v));
        if (same) assert.deepEqual(v, JSON.parse(JSON.stringify(v)));
      },
    ),
    { numRuns: 2000 },
  );
});

test('isPlain refuses what JSON would change, as plainCopy does, and what it would copy unlike: -0, a hole, no prototype', () => {
  // biome-ignore lint/suspicious/noSparseArray: a hole is what is tested
  const holed = [1, , 2];
  const odd = [holed, Object.create(null), -0, { z: [-0] }];
  for (const v of [...notJson(), ...odd]) assert.equal(isPlain(v), false, shown(v));
  assert.equal(isPlain({ a: [1, 'x', null, true, { b: 2.5 }] }), true);
});
