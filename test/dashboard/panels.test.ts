import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { usersApp } from '../../src/apps/users/index.ts';
import type { PanelSpec } from '../../src/core/app.ts';
import type { StreamRecord } from '../../src/core/record.ts';
import { bin } from '../../src/panels/histogram/server.ts';
import type { SeriesData } from '../../src/panels/line/options.ts';
import { downsample, thin } from '../../src/panels/line/server.ts';
import { createAggregator } from '../../src/server/panels/index.ts';
import type { PanelData } from '../../src/server/protocol.ts';
import { recordFilter } from '../../src/server/records.ts';
import { TestDriver } from '../../src/testing/index.ts';
import { appProcessors, buzzApp, type KnownPanelData, smokerApp } from './fixtures.ts';

const rec = (
  topic: string,
  offset: number,
  value: unknown,
  timestamp = 1000 + offset * 1000,
  partition = 0,
): StreamRecord => ({
  topic,
  partition,
  offset,
  key: null,
  value,
  timestamp,
  headers: {},
});
const panel = (app: { panels: PanelSpec[] }, id: string) => app.panels.find((p) => p.id === id)!;
const series = (d: PanelData | undefined) => {
  assert.equal(d?.kind, 'series');
  return d as SeriesData;
};

test('cumulative counts come from offsets: exact after skipping, across partitions', () => {
  const agg = createAggregator(panel(buzzApp, 'flow'));
  agg.add([rec('buzz', 500, {}, 1000), rec('buzz', 501, {}, 2000), rec('buzz', 40, {}, 2500, 1)]);
  agg.commitHistory();
  const s = series(agg.snapshot());
  assert.deepEqual(s.points, [
    [1000, 501],
    [2000, 502],
    [2500, 543],
  ]);
  assert.equal(s.total, 543);
});

test('a tick of 2,500 records reaches the browser as 8 points', () => {
  const agg = createAggregator(panel(buzzApp, 'sentiment'));
  agg.commitHistory();
  agg.add(Array.from({ length: 2500 }, (_, i) => rec('buzz', i, { sentiment: i % 2 }, 10_000 + i)));
  const d = agg.flush() as KnownPanelData | undefined;
  assert.equal(d?.kind, 'series');
  if (d?.kind !== 'series') return;
  assert.equal(d.points.length, 8);
  for (const [, y] of d.points) assert.ok(Math.abs(y - 0.5) < 0.01, 'bucket means');
  assert.equal(agg.flush(), undefined, 'nothing new, nothing sent');
});

test('line average read from the stats topic; zones pass through the spec', () => {
  const spec = panel(buzzApp, 'sentiment');
  const agg = createAggregator(spec);
  assert.deepEqual(agg.topics, ['buzz', 'buzz.stats']);
  agg.add([rec('buzz', 0, { sentiment: 0.9 }), rec('buzz.stats', 0, { sentiment: { mean: 0.61 } })]);
  agg.commitHistory();
  assert.equal(series(agg.snapshot()).average, 0.61);
});

test('smoker stalls become marks on the temperature line; a restarted replay starts a new series', () => {
  const agg = createAggregator(panel(smokerApp, 'temperature'));
  const t0 = Date.UTC(2025, 0, 1, 12);
  const m = (i: number) => t0 + i * 60_000;
  agg.add(Array.from({ length: 30 }, (_, i) => rec('smoker', i, { temperature: 150 + i / 10 }, m(i))));
  agg.add([
    rec('smoker.alerts', 0, { type: 'stall_started', at: m(12), temperature: 151.2 }, m(12)),
    rec('smoker.alerts', 1, { type: 'stall_ended', at: m(20), temperature: 152 }, m(20)),
    rec('smoker.alerts', 2, { type: 'stall_started', at: m(25), temperature: 152.5 }, m(25)),
  ]);
  agg.commitHistory();
  const s = series(agg.snapshot());
  assert.equal(s.points.length, 30);
  assert.deepEqual(s.marks, [
    { start: m(12), end: m(20), y: 151.2 },
    { start: m(25), y: 152.5 },
  ]);
  // The same file replayed again: event time jumps back hours.
  agg.add([rec('smoker', 30, { temperature: 70 }, m(0))]);
  const d = agg.flush();
  assert.ok(d?.kind === 'series' && d.reset, 'reset sent');
  assert.deepEqual(series(agg.snapshot()).points, [[m(0), 70]]);
  assert.deepEqual(series(agg.snapshot()).marks, []);
});

test('bars: counts from the stats record, top N plus others', () => {
  const agg = createAggregator({ ...panel(buzzApp, 'authors'), options: { top: 2 } });
  agg.add([rec('buzz.stats', 0, { byAuthor: { Alice: 5, Bob: 9, Eve: 1, Zed: 1 } })]);
  assert.deepEqual(agg.snapshot(), {
    kind: 'counts',
    entries: [
      ['Bob', 9],
      ['Alice', 5],
      ['(others)', 2],
    ],
    total: 16,
  });
});

test('bars: counting raw records by a field when the app has no stats topic', () => {
  const agg = createAggregator({
    id: 'a',
    title: 'by author',
    type: 'bar',
    topic: 'buzz',
    fields: { group: 'author' },
  });
  agg.add([rec('buzz', 0, { author: 'Al' }), rec('buzz', 1, { author: 'Al' }), rec('buzz', 2, {})]);
  assert.deepEqual(agg.snapshot(), {
    kind: 'counts',
    entries: [
      ['Al', 2],
      ['unknown', 1],
    ],
    total: 3,
  });
});

test('histogram: integer bins from the stats histogram, mean and median marks from the record', () => {
  const agg = createAggregator(panel(buzzApp, 'length'));
  const histogram = { 20: 1, 21: 3, 30: 2, 44: 4 };
  agg.add([rec('buzz.stats', 0, { length: { histogram, mean: 33.1, median: 30 } })]);
  const d = agg.snapshot() as KnownPanelData;
  assert.equal(d.kind, 'histogram');
  if (d.kind !== 'histogram') return;
  assert.equal(d.total, 10);
  assert.equal(
    d.bins.reduce((n, b) => n + b[2], 0),
    10,
  );
  assert.deepEqual(d.marks, [
    { label: 'mean', value: 33.1 },
    { label: 'median', value: 30 },
  ]);
  assert.deepEqual(
    bin(
      [
        [1, 1],
        [2, 1],
        [3, 1],
      ],
      16,
    ),
    // Padded to five bins, an empty one each side.
    [
      [0, 1, 0],
      [1, 2, 1],
      [2, 3, 1],
      [3, 4, 1],
      [4, 5, 0],
    ],
  );
});

test('histogram of integers on a common step (decades): bins whole steps wide, each on a value, every count in the bin holding its value (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: -50, max: 50 }),
      fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 1, max: 40 }),
      (step, origin, multiples, target) => {
        const values = multiples.sort((a, b) => a - b).map((m, i) => [origin + m * step, i + 1] as const);
        const bins = bin(values, target);
        // The step the values really share (a gcd of their distances; step itself when there is one value).
        const share =
          values.reduce((g, [k]) => {
            let [a, b] = [g, Math.abs(k - values[0]![0])];
            while (b) [a, b] = [b, a % b];
            return a;
          }, 0) || 1;
        const width = bins[0]![1] - bins[0]![0];
        assert.ok(width % share === 0, `width ${width} is whole steps of ${share}`);
        for (const [lo, hi] of bins) assert.equal(hi - lo, width, 'equal widths');
        assert.ok(bins.length <= Math.max(5, target), `${bins.length} bins for a target of ${target}`);
        // Brute force: each value counted in the one bin [lo, hi) that holds it.
        const expected = bins.map(([lo, hi]) =>
          values.filter(([k]) => lo <= k && k < hi).reduce((n, [, c]) => n + c, 0),
        );
        assert.deepEqual(
          bins.map((b) => b[2]),
          expected,
        );
        // Every bin starts on the values' grid, so a bar never straddles two of them.
        for (const [lo] of bins) assert.ok(Math.abs(lo - values[0]![0]) % share === 0, `bin at ${lo}`);
      },
    ),
  );
});

test('histogram: a bar is drawn centred on its value exactly when each bin holds one value (users ages by decade, property)', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(1, 2, 5, 10),
      fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 20 }),
      (step, multiples) => {
        const agg = createAggregator(panel(usersApp, 'ages'));
        const ages = Object.fromEntries(multiples.map((m) => [String(20 + m * step), 1 + (m % 3)]));
        agg.add([rec('users_created.metrics', 0, { ages })]);
        const d = agg.snapshot() as KnownPanelData;
        assert.ok(d.kind === 'histogram');
        // Brute force: does any bin hold two distinct values?
        const keys = Object.keys(ages).map(Number);
        const shared = d.bins.some(([lo, hi]) => keys.filter((k) => lo <= k && k < hi).length > 1);
        const gaps = d.bins.every(([lo, hi]) => hi - lo === d.bins[0]![1] - d.bins[0]![0]);
        assert.ok(gaps);
        assert.equal(d.centred, !shared && keys.every((k) => d.bins.some(([lo]) => lo === k)), JSON.stringify(d.bins));
      },
    ),
  );
});

test('histogram of one value: one bar among empty neighbours, a bin width that suits the value', () => {
  const one = bin([[36, 1]], 16);
  assert.equal(one.length, 5);
  assert.deepEqual(one[2], [36, 37, 1], 'the value in the middle bin, one unit wide');
  assert.equal(
    one.reduce((n, b) => n + b[2], 0),
    1,
  );
  const real = bin([[0.52, 3]], 16);
  assert.equal(real.length, 5);
  const [lo, hi, n] = real[2]!;
  assert.ok(lo <= 0.52 && 0.52 < hi && n === 3, `0.52 in the middle bin [${lo}, ${hi})`);
  assert.ok(Math.abs(hi - lo - 0.01) < 1e-12, `width ${hi - lo}`);
});

test('alert: active while the latest alert is a stall start, with its figures', () => {
  const agg = createAggregator(panel(smokerApp, 'stall'));
  agg.add([
    rec('smoker.alerts', 0, {
      type: 'stall_started',
      timestamp: '2025-01-01 14:30:00',
      at: 5,
      temperature: 160.1,
      min: 160,
      max: 160.2,
    }),
  ]);
  const on = agg.snapshot() as KnownPanelData;
  assert.ok(on.kind === 'alert' && on.active && on.since === 5 && on.count === 1 && on.detail?.temperature === 160.1);
  agg.add([rec('smoker.alerts', 1, { type: 'stall_ended', timestamp: '2025-01-01 15:00:00' })]);
  const off = agg.snapshot() as KnownPanelData;
  assert.ok(off.kind === 'alert' && !off.active && off.label === '2025-01-01 15:00:00' && off.count === 1);
});

test('downsample and thin keep the ends and the shape', () => {
  const pts = Array.from({ length: 100 }, (_, i): [number, number] => [i, i]);
  assert.deepEqual(
    downsample(pts, 4, true).map((p) => p[0]),
    [24, 49, 74, 99],
  );
  const t = thin(pts, 60);
  assert.ok(t.length <= 60);
  assert.deepEqual(t[t.length - 1], [99, 99]);
  assert.deepEqual(t[0], [0, 0]);
});

test('record filter: text, key:, field=, and nothing from the network becomes a regex', () => {
  const r = { ...rec('buzz', 0, { author: 'Alice', nested: { n: 42 } }), key: 'k-7' };
  assert.ok(recordFilter('')(r));
  assert.ok(recordFilter('alice')(r));
  assert.ok(recordFilter('key:K-7')(r));
  assert.ok(!recordFilter('key:alice')(r));
  assert.ok(recordFilter('nested.n=42')(r));
  assert.ok(!recordFilter('author=bob')(r));
  assert.ok(!recordFilter('(.*)+$')(r));
  assert.ok(!recordFilter('__proto__=x')(r));
});

/** The smoker app's real stall step, in-process, with a window of `window` readings. */
const stallDetector = (window: number) =>
  new TestDriver(appProcessors(smokerApp, { SMOKER_ROLLING_WINDOW_SIZE: String(window) }));

/** Readings onto `smoker` from `offset` on, and the alerts the real stall step makes of them. */
function replay(
  detector: TestDriver,
  offset: number,
  temps: number[],
): { readings: StreamRecord[]; alerts: StreamRecord[] } {
  const t0 = Date.UTC(2025, 0, 1, 15);
  const readings = temps.map((temperature, i) => {
    const at = t0 + i * 60_000;
    const timestamp = new Date(at).toISOString().replace('T', ' ').slice(0, 19);
    return rec('smoker', offset + i, { timestamp, temperature }, at);
  });
  const before = detector.outputs('smoker.alerts').length;
  // The driver numbers the topic's offsets as the broker would: these readings land at `offset` on.
  detector.pipe(
    'smoker',
    readings.map((r) => ({ value: r.value, timestamp: r.timestamp })),
  );
  const alerts = detector
    .outputs('smoker.alerts')
    .slice(before)
    .map((r) => rec('smoker.alerts', alertOffset++, r.value, r.timestamp));
  return { readings, alerts };
}
let alertOffset = 0;

test("an earlier replay's stall is not drawn on the new replay's line, though their times overlap", () => {
  const spec = panel(smokerApp, 'temperature');
  const detector = stallDetector(10);
  // First replay: held flat at 160 °F from 15:00 to 15:37 (a stall), then climbing.
  const first = replay(detector, 0, [
    ...Array.from({ length: 38 }, () => 160),
    ...Array.from({ length: 20 }, (_, i) => 161 + i),
  ]);
  // The replay restarted with another cook: 70 → 85 °F over the same clock times, no stall.
  const second = replay(
    detector,
    58,
    Array.from({ length: 40 }, (_, i) => 70 + (15 * i) / 39),
  );
  assert.ok(
    first.alerts.some((a) => (a.value as { type: string }).type === 'stall_started'),
    'the first replay stalled',
  );

  // A page opened now: each topic's history in turn (the line first, then the marks topic).
  const opened = createAggregator(spec);
  opened.add([...first.readings, ...second.readings]);
  opened.add([...first.alerts, ...second.alerts]);
  opened.commitHistory();
  const s = series(opened.snapshot());
  assert.equal(s.points[0]![1], 70, 'the line is the second replay');
  assert.deepEqual(s.marks, []);

  // Live: the detector lags its input, so the first replay's last alerts arrive after the restart.
  const watching = createAggregator(spec);
  watching.commitHistory();
  watching.add(first.readings.slice(0, 30));
  watching.add(first.readings.slice(30));
  watching.add(second.readings.slice(0, 5));
  watching.add(first.alerts);
  watching.add(second.readings.slice(5));
  watching.add(second.alerts);
  const d = watching.flush();
  assert.ok(d?.kind === 'series');
  assert.deepEqual(d.marks, []);
  assert.deepEqual(series(watching.snapshot()).marks, []);
});

test("the current replay's own stall is still drawn after a restart", () => {
  const spec = panel(smokerApp, 'temperature');
  const detector = stallDetector(5);
  const first = replay(
    detector,
    0,
    Array.from({ length: 30 }, (_, i) => 100 + i),
  );
  const second = replay(detector, 30, [
    ...Array.from({ length: 10 }, (_, i) => 70 + i),
    ...Array.from({ length: 10 }, () => 80),
  ]);
  const agg = createAggregator(spec);
  agg.add([...first.readings, ...second.readings]);
  agg.add([...first.alerts, ...second.alerts]);
  agg.commitHistory();
  const t0 = Date.UTC(2025, 0, 1, 15);
  // Flat from the 10th reading; the window of 5 holds only 80s at index 14.
  assert.deepEqual(series(agg.snapshot()).marks, [{ start: t0 + 14 * 60_000, y: 80 }]);
});
