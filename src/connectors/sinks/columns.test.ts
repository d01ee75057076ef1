import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { StreamRecord } from '../../core/record.ts';
import { inferColumns, isBigint, rowOf } from './columns.ts';

const recordOf = (n: number): StreamRecord => ({
  topic: 't',
  partition: 0,
  offset: 0,
  key: null,
  value: { n },
  timestamp: 0,
  headers: {},
});

test('an integer column takes exactly the whole numbers a BIGINT holds; others are misfits, and infer real (property)', () => {
  const inRange = (n: number) => BigInt(n) >= -(2n ** 63n) && BigInt(n) < 2n ** 63n;
  fc.assert(
    fc.property(
      fc.oneof(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer(),
        fc.constantFrom(2 ** 63, -(2 ** 63), 2 ** 63 - 1024, -(2 ** 63) - 2048, 1e20, -1e300, 0.5),
      ),
      (n) => {
        const whole = Number.isInteger(n);
        assert.equal(isBigint(n), whole && inRange(n));
        const column = [{ name: 'n', type: 'integer' as const }];
        if (isBigint(n)) assert.deepEqual(rowOf(recordOf(n), column), [n]);
        else assert.throws(() => rowOf(recordOf(n), column), /field "n" must be integer/);
        assert.deepEqual(inferColumns([recordOf(n)]), [{ name: 'n', type: isBigint(n) ? 'integer' : 'real' }]);
      },
    ),
    { numRuns: 500 },
  );
});
