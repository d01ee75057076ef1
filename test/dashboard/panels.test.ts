import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PanelSpec } from '../../src/core/app.ts';
import type { StreamRecord } from '../../src/core/record.ts';
import { bin } from '../../src/server/panels/counts.ts';
import { createAggregator } from '../../src/server/panels/index.ts';
import { downsample, SeriesPanel, thin } from '../../src/server/panels/series.ts';
import type { PanelData } from '../../src/server/protocol.ts';
import { recordFilter } from '../../src/server/records.ts';
import { buzzApp, smokerApp } from './fixtures.ts';

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
  return d as Extract<PanelData, { kind: 'series' }>;
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
  const d = agg.flush();
  assert.equal(d?.kind, 'series');
  if (d?.kind !== 'series') return;
  assert.equal(d.points.length, 8);
  for (const [, y] of d.points) assert.ok(Math.abs(y - 0.5) < 0.01, 'bucket means');
  assert.equal(agg.flush(), undefined, 'nothing new, nothing sent');
});

test('line average read from the stats topic; zones pass through the spec', () => {
  const spec = panel(buzzApp, 'sentiment');
  const agg = new SeriesPanel(spec);
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
  const d = agg.snapshot();
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
    [
      [1, 2, 1],
      [2, 3, 1],
      [3, 4, 1],
    ],
  );
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
  const on = agg.snapshot();
  assert.ok(on.kind === 'alert' && on.active && on.since === 5 && on.count === 1 && on.detail?.temperature === 160.1);
  agg.add([rec('smoker.alerts', 1, { type: 'stall_ended', timestamp: '2025-01-01 15:00:00' })]);
  const off = agg.snapshot();
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
