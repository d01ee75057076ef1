import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type Episode,
  episodesOf,
  minDurationArb,
  type RefVerdict,
  referenceEpisodes,
  restoreArb,
  run,
  runIndexed,
  seriesArb,
  tenths,
  updatesArb,
} from '../../../test/helpers/alert-reference.ts';
import { emptyStats, pushStats, stdOf } from './rolling-stats.ts';
import { zScore } from './z-score.ts';

/** Two-pass mean and population std of a slice: the definition, recomputed from scratch. */
function bruteStats(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length) };
}

test('rolling mean and std equal a brute-force recomputation after every reading, at any offset', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(0, 1e6, 1e9, -1e9),
      fc.array(tenths(-50, 50), { minLength: 1, maxLength: 300, size: 'max' }),
      fc.integer({ min: 1, max: 25 }),
      (offset, noise, size) => {
        const xs = noise.map((n) => offset + n);
        let s = emptyStats();
        xs.forEach((x, i) => {
          s = pushStats(s, x, size);
          const ref = bruteStats(xs.slice(Math.max(0, i + 1 - size), i + 1));
          // Readings at 1e9 carry ~1e-7 of rounding each; the spread is what must survive it.
          const tol = 1e-15 * Math.max(1, Math.abs(offset)) * 64;
          assert.ok(Math.abs(s.mean - ref.mean) <= tol, `mean ${s.mean} vs ${ref.mean}`);
          assert.ok(
            Math.abs(stdOf(s) - ref.std) <= 1e-6 * Math.max(1, Math.abs(offset)) ** 0.5,
            `std ${stdOf(s)} vs ${ref.std}`,
          );
        });
      },
    ),
    { numRuns: 200 },
  );
});

test('rolling std stays exact over 200k readings around 1e9 (where running Σx and Σx² lose every digit)', () => {
  const size = 50;
  let s = emptyStats();
  let seed = 7;
  const xs: number[] = [];
  let worst = 0;
  for (let i = 0; i < 200_000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const x = 1e9 + (seed % 1000) / 10; // 1e9 + [0, 100) in tenths: std ≈ 29
    xs.push(x);
    s = pushStats(s, x, size);
    if (i % 997 === 0 && i >= size) {
      const ref = bruteStats(xs.slice(i + 1 - size, i + 1));
      worst = Math.max(worst, Math.abs(stdOf(s) - ref.std) / ref.std);
    }
  }
  assert.ok(worst < 1e-7, `worst relative std error ${worst}`);
  // The same series with running sums: the reason the rule does not use them.
  const w = xs.slice(-size);
  const sum = w.reduce((a, b) => a + b, 0);
  const sumSq = w.reduce((a, b) => a + b * b, 0);
  const naive = Math.sqrt(Math.max(0, sumSq / size - (sum / size) ** 2));
  assert.ok(Math.abs(naive - bruteStats(w).std) / bruteStats(w).std > 1e-3, 'naive sums should be visibly wrong here');
});

const THRESHOLD_EPS = 1e-6;

test('z-score against the previous N readings: episodes, z and baseline equal the brute-force reference', () => {
  const values = fc.oneof({ weight: 6, arbitrary: tenths(99, 101) }, { weight: 1, arbitrary: tenths(90, 110) });
  fc.assert(
    fc.property(
      seriesArb(values),
      fc.integer({ min: 2, max: 12 }),
      tenths(0.5, 3),
      tenths(0, 0.5),
      fc.constantFrom(0, 0.2, 1),
      minDurationArb,
      updatesArb,
      (rs, window, thr, gap, minStd, minDuration, updates) => {
        const clearAt = thr - gap;
        // From the definition: the baseline is the `window` readings before this one, never this one.
        const zs = rs.map((r, i) => {
          if (i < window) return undefined;
          const { mean, std: raw } = bruteStats(rs.slice(i - window, i).map((x) => x.value));
          const std = raw <= 1e-9 * Math.max(1, Math.abs(mean)) ? minStd : Math.max(raw, minStd);
          return std === 0 ? undefined : { mean, std, z: (r.value - mean) / std };
        });
        // A z on a boundary is decided by the last bit of rounding: not what this property is about.
        const onEdge = (z: number) =>
          Math.abs(Math.abs(z) - thr) < THRESHOLD_EPS || Math.abs(Math.abs(z) - clearAt) < THRESHOLD_EPS;
        fc.pre(zs.every((f) => f === undefined || !onEdge(f.z)));
        const vs: RefVerdict[] = zs.map((f) =>
          f === undefined
            ? { trigger: false, clear: false }
            : { trigger: Math.abs(f.z) > thr, clear: Math.abs(f.z) <= clearAt, measure: f.z },
        );
        const rule = zScore({ window, threshold: thr, clearAt, minStd, minDuration: minDuration.option, updates });
        const indexed = runIndexed(rule, rs);
        for (const { i, event } of indexed) {
          const f = zs[i];
          if (f === undefined) {
            // Only an every-N update can fall on a reading without a verdict; it carries no figures.
            assert.deepEqual([event.type, event.figures], ['updated', {}]);
            continue;
          }
          for (const k of ['mean', 'std', 'z'] as const) {
            assert.ok(
              Math.abs((event.figures[k] ?? Number.NaN) - f[k]) <= 1e-9 * Math.max(1, Math.abs(f[k])),
              `${k} at ${i}`,
            );
          }
        }
        const got = episodesOf(indexed.map(({ event }) => event));
        const expected = referenceEpisodes(rs, vs, { direction: 'abs', updates, ...minDuration.ref });
        const withoutPeak = (es: Episode[]) => es.map(({ peak: _, ...e }) => e);
        assert.deepEqual(withoutPeak(got), withoutPeak(expected));
        for (const [k, e] of got.entries()) {
          assert.ok(Math.abs(e.peak - expected[k]!.peak) <= 1e-9 * Math.max(1, Math.abs(e.peak)));
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('z-score state survives JSON round trips mid-series without changing the events', () => {
  fc.assert(
    fc.property(
      seriesArb(tenths(99, 101)),
      fc.integer({ min: 2, max: 10 }),
      updatesArb,
      restoreArb(),
      (rs, window, updates, at) => {
        const rule = zScore({ window, threshold: 1.5, clearAt: 1, minStd: 0.1, updates });
        assert.deepEqual(run(rule, rs, new Set(at)), run(rule, rs));
      },
    ),
    { numRuns: 300 },
  );
});

test('a spike after a steady baseline is one episode; the spike is not part of its own baseline', () => {
  const rule = zScore({ label: 'heart rate', unit: 'bpm', window: 4, threshold: 3 });
  const values = [60, 62, 60, 62, 70, 61];
  const events = run(
    rule,
    values.map((value, i) => ({ at: i * 1000, value })),
  );
  // Baseline before 70: 60, 62, 60, 62 → mean 61, std 1 → z = 9 (including 70 itself would give z ≈ 2).
  assert.equal(events[0]?.type, 'started');
  assert.equal(events[0]?.figures.z, 9);
  assert.equal(
    events[0]?.reason,
    'heart rate 70.0 bpm is 9.00 standard deviations from the mean 61.0, std 1.0 over the previous 4 readings',
  );
  // Then 61 against 62, 60, 62, 70 (mean 63.5, std ≈ 3.84): |z| ≈ 0.65, back to normal.
  assert.deepEqual(
    events.map((e) => [e.type, e.at, e.peak]),
    [
      ['started', 4000, 9],
      ['ended', 5000, 9],
    ],
  );
});

test('a flat baseline gives no verdict unless minStd sets a floor', () => {
  const flat = [5, 5, 5, 5, 5.1].map((value, i) => ({ at: i, value }));
  assert.deepEqual(run(zScore({ window: 4, threshold: 2 }), flat), []);
  const floored = run(zScore({ window: 4, threshold: 2, minStd: 0.01 }), flat);
  assert.equal(floored[0]?.type, 'started');
  assert.ok(Math.abs((floored[0]?.figures.z ?? 0) - 10) < 1e-9);
});

test('a jump leaving the window leaves a flat baseline, not rounding noise that reads as a z of millions', () => {
  // Sliding Welford alone leaves Σ(x − mean)² ≈ 3e-14 for [100.2, 100.2] here, so 99 scored z ≈ −9e6.
  let s = emptyStats();
  for (const x of [99, 100.2, 100.2]) s = pushStats(s, x, 2);
  assert.equal(stdOf(s), 0);
  const rs = [99, 100.2, 100.2, 99].map((value, i) => ({ at: i, value }));
  assert.deepEqual(
    run(zScore({ window: 2, threshold: 0.5, updates: 'peak' }), rs).map((e) => [e.type, e.at]),
    [['started', 2]],
  );
});

test('z-score options are checked', () => {
  assert.throws(() => zScore({ window: 1, threshold: 2 }), { code: 'RUNNEL_CONFIG_INVALID', message: /window/ });
  assert.throws(() => zScore({ window: 5, threshold: 0 }), { code: 'RUNNEL_CONFIG_INVALID', message: /threshold/ });
  assert.throws(() => zScore({ window: 5, threshold: 2, clearAt: 3 }), {
    code: 'RUNNEL_CONFIG_INVALID',
    message: /clearAt/,
  });
  assert.throws(() => zScore({ window: 5, threshold: 2, minStd: -1 }), {
    code: 'RUNNEL_CONFIG_INVALID',
    message: /minStd/,
  });
});
