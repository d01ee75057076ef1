import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  episodesOf,
  minDurationArb,
  type RefVerdict,
  referenceEpisodes,
  restoreArb,
  run,
  seriesArb,
  tenths,
  updatesArb,
} from '../../../test/helpers/alert-reference.ts';
import { formatDuration } from './duration.ts';
import { threshold } from './threshold.ts';

test('threshold with minDuration and hysteresis: episodes equal the brute-force reference on random series', () => {
  fc.assert(
    fc.property(
      seriesArb(tenths(90, 110)),
      fc.boolean(),
      tenths(95, 105),
      tenths(0, 5),
      minDurationArb,
      updatesArb,
      (rs, up, level, gap, minDuration, updates) => {
        const clearAt = up ? level - gap : level + gap;
        const rule = threshold({
          ...(up ? { above: level } : { below: level }),
          clearAt,
          minDuration: minDuration.option,
          updates,
        });
        // From the definition: above `level` starts, at or below `clearAt` ends (mirrored for below).
        const vs: RefVerdict[] = rs.map(({ value }) => ({
          trigger: up ? value > level : value < level,
          clear: up ? value <= clearAt : value >= clearAt,
          measure: value,
        }));
        const expected = referenceEpisodes(rs, vs, { direction: up ? 'up' : 'down', updates, ...minDuration.ref });
        assert.deepEqual(episodesOf(run(rule, rs)), expected);
      },
    ),
    { numRuns: 400 },
  );
});

test('threshold state survives JSON round trips mid-series without changing the events', () => {
  fc.assert(
    fc.property(
      seriesArb(tenths(90, 110)),
      tenths(95, 105),
      minDurationArb,
      updatesArb,
      restoreArb(),
      (rs, level, md, updates, at) => {
        const rule = threshold({ above: level, clearAt: level - 2, minDuration: md.option, updates });
        assert.deepEqual(run(rule, rs, new Set(at)), run(rule, rs));
      },
    ),
    { numRuns: 300 },
  );
});

test('above 100 starts, below 95 ends: one episode through the band, with duration, peak and reasons', () => {
  const rule = threshold({ name: 'too-hot', label: 'temperature', unit: '°F', above: 100, clearAt: 95 });
  const values = [90, 101, 99, 104, 97, 96, 94.5, 101];
  const rs = values.map((value, i) => ({ at: i * 60_000, value }));
  const events = run(rule, rs);
  assert.deepEqual(
    events.map((e) => [e.type, e.at, e.startedAt, e.durationMs, e.value, e.peak]),
    [
      ['started', 60_000, 60_000, undefined, 101, 101],
      ['ended', 360_000, 60_000, 300_000, 94.5, 104],
      ['started', 420_000, 420_000, undefined, 101, 101],
    ],
  );
  assert.equal(events[0]?.rule, 'too-hot');
  assert.equal(events[0]?.reason, 'temperature 101.0 °F above 100.0 °F');
  assert.deepEqual(events[0]?.figures, { value: 101, above: 100 });
  // Started at the 101 (minute 1), ended at the 94.5 (minute 6).
  const lasted = formatDuration(rs[6]!.at - rs[1]!.at);
  assert.equal(events[1]?.reason, `temperature back to 94.5 °F (at or below 95.0 °F) after ${lasted}; peak 104.0 °F`);
});

test('below with minDuration in readings: a dip shorter than the minimum starts nothing', () => {
  const rule = threshold({ below: 10, minDuration: 3, updates: 'peak' });
  const rs = [12, 9, 8, 12, 9, 8, 7, 6, 7, 11].map((value, i) => ({ at: i * 1000, value }));
  const events = run(rule, rs);
  assert.deepEqual(
    events.map((e) => [e.type, e.at, e.startedAt, e.peak]),
    [
      ['started', 6000, 4000, 7],
      ['updated', 7000, 4000, 6],
      ['ended', 9000, 4000, 6],
    ],
  );
});

test('bad options and bad readings are refused with typed errors naming the problem', () => {
  assert.throws(() => threshold({}), { code: 'RUNNEL_CONFIG_INVALID', message: /above\/below/ });
  assert.throws(() => threshold({ above: 1, below: 0 }), { code: 'RUNNEL_CONFIG_INVALID' });
  assert.throws(() => threshold({ above: 100, clearAt: 101 }), { code: 'RUNNEL_CONFIG_INVALID', message: /clearAt/ });
  assert.throws(() => threshold({ above: 1, minDuration: 'soon' }), {
    code: 'RUNNEL_CONFIG_INVALID',
    message: /minDuration/,
  });
  assert.throws(() => threshold({ above: 1, updates: 0 }), { code: 'RUNNEL_CONFIG_INVALID', message: /updates/ });
  const rule = threshold({ above: 1 });
  assert.throws(() => rule.step(rule.initial(), Number.NaN, 0), { code: 'RUNNEL_SCHEMA_MISMATCH' });
  assert.throws(() => rule.step(rule.initial(), 1, Number.NaN), { code: 'RUNNEL_SCHEMA_MISMATCH' });
});
