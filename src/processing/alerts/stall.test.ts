import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  episodesOf,
  minDurationArb,
  type Reading,
  type RefVerdict,
  referenceEpisodes,
  restoreArb,
  run,
  runIndexed,
  seriesArb,
  tenths,
  updatesArb,
} from '../../../test/helpers/alert-reference.ts';
import { stall } from './stall.ts';

const SMOKER_CSV = new URL('../../../test/fixtures/seed-data/smoker_temps.csv', import.meta.url).pathname;

function readSmoker(): { timestamp: string; at: number; value: number }[] {
  const [header, ...lines] = readFileSync(SMOKER_CSV, 'utf8').trim().split('\n');
  assert.equal(header?.trim(), 'timestamp,temperature');
  return lines.map((line) => {
    const [timestamp = '', temperature = ''] = line.trim().split(',');
    return { timestamp, at: Date.parse(`${timestamp.replace(' ', 'T')}Z`), value: Number(temperature) };
  });
}

/**
 * The window's readings by brute force: the last `n` (count) or those covering the last `ms` of event time
 * (within it, plus the latest at or before its start); undefined while not full.
 */
function windowAt(rs: Reading[], i: number, span: { n: number } | { ms: number }): number[] | undefined {
  if ('n' in span) return i + 1 >= span.n ? rs.slice(i + 1 - span.n, i + 1).map((r) => r.value) : undefined;
  let j = -1;
  for (let k = 0; k <= i; k++) if (rs[k]!.at <= rs[i]!.at - span.ms) j = k;
  return j < 0 ? undefined : rs.slice(j, i + 1).map((r) => r.value);
}

/** Ranges in whole tenths: readings carry one decimal, so this is exact where floats are not (142.2 − 142.0). */
const tenthsRange = (w: number[]) =>
  Math.max(...w.map((v) => Math.round(v * 10))) - Math.min(...w.map((v) => Math.round(v * 10)));

test('smoker_temps.csv, window 10, threshold 0.2: exactly one stall episode, starting at 18:08 as brute force finds', () => {
  const rows = readSmoker();
  // Brute force from the definition: the first reading whose last 10 readings span at most 2 tenths of a degree.
  const stalled = rows.map((_, i) => {
    const w = windowAt(rows, i, { n: 10 });
    return w !== undefined && tenthsRange(w) <= 2;
  });
  const starts = rows.filter((_, i) => stalled[i] && !stalled[i - 1]).map((r) => r.timestamp);
  assert.deepEqual(starts, ['2025-01-01 18:08:00']);

  const rule = stall({ name: 'smoker-stall', label: 'temperature', unit: '°F', window: 10, threshold: 0.2 });
  const events = run(rule, rows);
  const started = events.filter((e) => e.type === 'started');
  assert.equal(started.length, 1);
  assert.equal(new Date(started[0]!.startedAt).toISOString(), '2025-01-01T18:08:00.000Z');
  assert.equal(started[0]!.reason, 'temperature within 0.2 °F over the last 10 readings (142.0–142.2)');
  assert.deepEqual(started[0]!.figures, { min: 142, max: 142.2, range: 142.2 - 142, readings: 10, threshold: 0.2 });
  // The stall holds to the end of the file or ends exactly where brute force says it does.
  const endIdx = stalled.findIndex((s, i) => i > 0 && !s && stalled[i - 1]);
  const ended = events.filter((e) => e.type === 'ended');
  assert.deepEqual(
    ended.map((e) => e.at),
    endIdx < 0 ? [] : [rows[endIdx]!.at],
  );
});

test('stall by readings or by event time: episodes and figures equal the brute-force reference on random series', () => {
  const spanArb = fc.oneof(
    fc
      .integer({ min: 1, max: 8 })
      .map((n) => ({ option: n as number | string, ref: { n } as { n: number } | { ms: number } })),
    fc.integer({ min: 1, max: 5 }).map((m) => ({ option: `${m}m`, ref: { ms: m * 60_000 } })),
  );
  fc.assert(
    fc.property(
      seriesArb(tenths(100, 101.5)),
      spanArb,
      fc.integer({ min: 0, max: 6 }),
      fc.integer({ min: 0, max: 4 }),
      minDurationArb,
      updatesArb,
      (rs, span, thr, gap, minDuration, updates) => {
        const rule = stall({
          window: span.option,
          threshold: thr / 10,
          clearAt: (thr + gap) / 10,
          minDuration: minDuration.option,
          updates,
        });
        const windows = rs.map((_, i) => windowAt(rs, i, span.ref));
        const vs: RefVerdict[] = windows.map((w) =>
          w === undefined
            ? { trigger: false, clear: false }
            : { trigger: tenthsRange(w) <= thr, clear: tenthsRange(w) > thr + gap, measure: tenthsRange(w) },
        );
        const indexed = runIndexed(rule, rs);
        for (const { i, event } of indexed) {
          const w = windows[i]!;
          assert.equal(event.figures.min, Math.min(...w));
          assert.equal(event.figures.max, Math.max(...w));
          assert.equal(event.figures.readings, w.length);
        }
        // Peaks compared in tenths, the unit the reference measures in.
        const got = episodesOf(indexed.map(({ event }) => event)).map((e) => ({ ...e, peak: Math.round(e.peak * 10) }));
        assert.deepEqual(got, referenceEpisodes(rs, vs, { direction: 'down', updates, ...minDuration.ref }));
      },
    ),
    { numRuns: 400 },
  );
});

test('stall state survives JSON round trips mid-series without changing the events', () => {
  fc.assert(
    fc.property(
      seriesArb(tenths(100, 101)),
      fc.constantFrom<number | string>(3, 6, '4m'),
      restoreArb(),
      (rs, window, at) => {
        const rule = stall({ window, threshold: 0.3, updates: 'peak' });
        assert.deepEqual(run(rule, rs, new Set(at)), run(rule, rs));
      },
    ),
    { numRuns: 300 },
  );
});

test('a replay that starts over ends an open stall at the old series end and starts a fresh window', () => {
  const rule = stall({ window: 3, threshold: 0.2 });
  const cook = [70, 100, 160, 160.1, 160];
  const rs = [...cook, ...cook].map((value, i) => ({ at: (i % cook.length) * 60_000, value }));
  const events = run(rule, rs);
  assert.deepEqual(
    events.map((e) => [e.type, e.at, e.startedAt]),
    [
      ['started', 240_000, 240_000],
      ['ended', 240_000, 240_000],
      // The second cook stalls where the first did: its window did not start with the old readings.
      ['started', 240_000, 240_000],
    ],
  );
  assert.match(events[1]!.reason, /series restarted/);
});

test('stall options are checked', () => {
  assert.throws(() => stall({ window: 0, threshold: 0.2 }), { code: 'RUNNEL_CONFIG_INVALID', message: /window/ });
  assert.throws(() => stall({ window: '0s', threshold: 0.2 }), { code: 'RUNNEL_CONFIG_INVALID', message: /window/ });
  assert.throws(() => stall({ window: 'ages', threshold: 0.2 }), { code: 'RUNNEL_CONFIG_INVALID', message: /window/ });
  assert.throws(() => stall({ window: 3, threshold: 0.2, clearAt: 0.1 }), {
    code: 'RUNNEL_CONFIG_INVALID',
    message: /clearAt/,
  });
});
