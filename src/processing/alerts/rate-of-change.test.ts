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
  runIndexed,
  seriesArb,
  tenths,
  updatesArb,
} from '../../../test/helpers/alert-reference.ts';
import { formatDuration } from './duration.ts';
import { rateOfChange } from './rate-of-change.ts';

const PER = { '1s': 1000, '1m': 60_000, '1h': 3_600_000 } as const;

test('rate of change over 1..4 readings: episodes and rates equal the brute-force reference on random series', () => {
  fc.assert(
    fc.property(
      seriesArb(tenths(100, 103)),
      fc.integer({ min: 1, max: 4 }),
      fc.constantFrom<keyof typeof PER>('1s', '1m', '1h'),
      fc.boolean(),
      tenths(-3, 3),
      tenths(0, 2),
      minDurationArb,
      updatesArb,
      (rs, window, per, up, level, gap, minDuration, updates) => {
        const clearAt = up ? level - gap : level + gap;
        const perMs = PER[per];
        const rule = rateOfChange({
          ...(up ? { above: level } : { below: level }),
          clearAt,
          per,
          window,
          minDuration: minDuration.option,
          updates,
        });
        // From the definition: change since the reading `window` back, per `per` of event time.
        const rates = rs.map((r, i) => {
          const b = rs[i - window];
          return b && r.at > b.at ? ((r.value - b.value) / (r.at - b.at)) * perMs : undefined;
        });
        const vs: RefVerdict[] = rates.map((rate) =>
          rate === undefined
            ? { trigger: false, clear: false }
            : {
                trigger: up ? rate > level : rate < level,
                clear: up ? rate <= clearAt : rate >= clearAt,
                measure: rate,
              },
        );
        const indexed = runIndexed(rule, rs);
        for (const { i, event } of indexed) assert.equal(event.figures.rate, rates[i]);
        const expected = referenceEpisodes(rs, vs, { direction: up ? 'up' : 'down', updates, ...minDuration.ref });
        assert.deepEqual(episodesOf(indexed.map(({ event }) => event)), expected);
      },
    ),
    { numRuns: 300 },
  );
});

test('rate of change state survives JSON round trips mid-series without changing the events', () => {
  fc.assert(
    fc.property(
      seriesArb(tenths(100, 103)),
      fc.integer({ min: 1, max: 4 }),
      updatesArb,
      restoreArb(),
      (rs, window, updates, at) => {
        const rule = rateOfChange({ perMs: 60_000, above: 0.5, clearAt: 0, window, updates });
        assert.deepEqual(run(rule, rs, new Set(at)), run(rule, rs));
      },
    ),
    { numRuns: 300 },
  );
});

test('a fast rise is one episode with its rate, and readings sharing a timestamp give no verdict', () => {
  const rule = rateOfChange({ label: 'temperature', unit: '°F', per: '1m', above: 2 });
  const rs = [
    { at: 0, value: 100 },
    { at: 60_000, value: 101 },
    { at: 90_000, value: 103 },
    { at: 90_000, value: 110 },
    { at: 150_000, value: 114 },
    { at: 210_000, value: 115 },
  ];
  const events = run(rule, rs);
  assert.deepEqual(
    events.map((e) => [e.type, e.at, e.peak]),
    [
      ['started', 90_000, 4],
      ['ended', 210_000, 4],
    ],
  );
  assert.deepEqual(events[0]?.figures, { rate: 4, from: 101, to: 103, dtMs: 30_000, above: 2 });
  const dt = formatDuration(rs[2]!.at - rs[1]!.at);
  assert.equal(events[0]?.reason, `temperature changing at 4.0 °F/1m, above 2.0 °F/1m (101.0 °F → 103.0 °F in ${dt})`);
});

test('rate of change options are checked', () => {
  assert.throws(() => rateOfChange({ above: 1, per: 'fortnightly' }), {
    code: 'RUNNEL_CONFIG_INVALID',
    message: /per/,
  });
  assert.throws(() => rateOfChange({ above: 1, perMs: 0 }), { code: 'RUNNEL_CONFIG_INVALID', message: /perMs/ });
  assert.throws(() => rateOfChange({ above: 1, perMs: 1000, per: '1s' }), { code: 'RUNNEL_CONFIG_INVALID' });
  assert.throws(() => rateOfChange({ below: -1, window: 0 }), { code: 'RUNNEL_CONFIG_INVALID', message: /window/ });
});
