import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  forLog,
  LINEAR_BELOW,
  LOG_ABOVE,
  logRange,
  powersOfTen,
  wantsLogScale,
} from '../../src/web/charts/log-scale.ts';

test('a log scale only when the busiest line peaks far above the quietest, with hysteresis', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 1e7, noNaN: true })), { maxLength: 8 }),
      fc.boolean(),
      (peaks, current) => {
        const positive = peaks.filter((p) => p > 0);
        const spread = positive.length < 2 ? 1 : Math.max(...positive) / Math.min(...positive);
        const want = wantsLogScale(peaks, current);
        if (spread > LOG_ABOVE) assert.equal(want, true);
        if (spread < LINEAR_BELOW) assert.equal(want, false);
        // Between the two limits the scale stays as it is.
        if (spread >= LINEAR_BELOW && spread <= LOG_ABOVE) assert.equal(want, current);
      },
    ),
  );
});

test('lines at 0 do not decide the scale, and one busy line alone stays linear', () => {
  assert.equal(wantsLogScale([0, 0, 10_000], false), false);
  assert.equal(wantsLogScale([0, 2, 10_000], false), true);
});

test('the log range is whole powers of ten holding every value', () => {
  fc.assert(
    fc.property(
      fc.double({ min: 1e-9, max: 1e8, noNaN: true }),
      fc.double({ min: 1, max: 1e4, noNaN: true }),
      (lo, f) => {
        const hi = lo * f;
        const [bottom, top] = logRange(lo, hi);
        assert.ok(bottom <= lo && top >= hi && top > bottom, `${lo}..${hi} in ${bottom}..${top}`);
        const ticks = powersOfTen(bottom, top);
        assert.equal(ticks.length, Math.round(Math.log10(top / bottom)) + 1, 'a tick at each power of ten');
        assert.ok(ticks[0] === bottom && ticks.at(-1) === top);
        for (const edge of [bottom, top]) {
          const e = Math.log10(edge);
          assert.ok(Math.abs(e - Math.round(e)) < 1e-9, `${edge} is a power of ten`);
        }
      },
    ),
  );
});

test('a log scale breaks the line where a value is 0', () => {
  assert.deepEqual(forLog([0, 3, null, -1, 7]), [null, 3, null, null, 7]);
});
