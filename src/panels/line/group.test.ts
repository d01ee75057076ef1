import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordsOn } from '../../../test/helpers/records.ts';
import type { PanelSpec } from '../../core/app.ts';
import { createAggregator } from '../../server/panels/index.ts';
import { alignGroups } from './align.ts';
import type { GroupSeriesData, SeriesData } from './options.ts';

const rec = recordsOn('sensors.mean');
const at = (t: number, key: string, mean: number) => rec({ key, mean, t });

const spec = (options: Record<string, unknown> = {}): PanelSpec => ({
  id: 'mean',
  title: 'Mean per key',
  type: 'line',
  topic: 'sensors.mean',
  fields: { x: 't', y: 'mean', group: 'key' },
  options,
});

const pointsOf = (d: GroupSeriesData) => Object.fromEntries(d.groups.map((g) => [g.name, g.points]));

test('line + group: one line per group value, not one interleaved series', () => {
  const agg = createAggregator(spec());
  agg.add([at(1000, 'a', 1), at(1000, 'b', 10), at(2000, 'a', 2), at(2000, 'b', 20), rec({ t: 3000, mean: 5 })]);
  agg.commitHistory();
  const d = agg.snapshot() as GroupSeriesData;
  assert.equal(d.kind, 'group-series');
  assert.deepEqual(pointsOf(d), {
    a: [
      [1000, 1],
      [2000, 2],
    ],
    b: [
      [1000, 10],
      [2000, 20],
    ],
    '(none)': [[3000, 5]],
  });
  assert.equal(d.total, 5);
  assert.equal(d.others, undefined);

  // A flush sends only the groups with new points.
  agg.add([at(4000, 'b', 40)]);
  const delta = agg.flush() as GroupSeriesData;
  assert.deepEqual(pointsOf(delta), { b: [[4000, 40]] });
  assert.equal(delta.total, 6);
  assert.equal(agg.flush(), undefined, 'nothing new');

  // Without group, the same records are one series, as before.
  const one = createAggregator({ ...spec(), fields: { x: 't', y: 'mean' } });
  one.add([at(1000, 'a', 1), at(1000, 'b', 10)]);
  one.commitHistory();
  assert.deepEqual((one.snapshot() as SeriesData).points, [
    [1000, 1],
    [1000, 10],
  ]);
});

test('line + group: past maxGroups, records are counted rather than drawn; the average is over the drawn lines', () => {
  const agg = createAggregator(spec({ maxGroups: 2, average: true }));
  agg.add([at(1000, 'a', 1), at(1000, 'b', 3), at(1000, 'c', 5), at(2000, 'd', 7), at(2000, 'c', 9)]);
  const d = agg.flush() as GroupSeriesData;
  assert.deepEqual(
    d.groups.map((g) => g.name),
    ['a', 'b'],
  );
  assert.deepEqual(d.others, { groups: 2, records: 3 });
  assert.equal(d.average, 2, 'the mean of the values drawn');
});

test('line + group: a replay restarted resets only the groups it reaches', () => {
  const agg = createAggregator(spec());
  agg.add([at(600_000, 'a', 1), at(600_000, 'b', 2)]);
  agg.commitHistory();
  agg.add([at(1000, 'a', 3)]);
  const d = agg.flush() as GroupSeriesData;
  assert.deepEqual(d.groups, [{ name: 'a', points: [[1000, 3]], reset: true }]);
});

test('alignGroups: one x axis; a group is undefined where only others have points, null at its own silences', () => {
  const { xs, ys } = alignGroups(
    [
      [
        [1000, 1],
        [3000, 3],
      ],
      [[2000, 2]],
    ],
    10,
  );
  assert.deepEqual(xs, [1, 2, 3]);
  assert.deepEqual(ys, [
    [1, undefined, 3],
    [undefined, 2, undefined],
  ]);
  const second = (s: number): [number, number] => [s * 1000, 1];
  const gap = alignGroups([[...[0, 1, 2, 3, 4].map(second), ...[60, 61, 62].map(second)]], 10);
  assert.ok(gap.ys[0]!.includes(null), 'a silence of a minute breaks the line');
});
