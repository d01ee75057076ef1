import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordsOn } from '../../../test/helpers/records.ts';
import type { PanelSpec } from '../../core/app.ts';
import { createAggregator } from '../../server/panels/index.ts';
import type { LinesData } from './options.ts';

const rec = recordsOn('m');

const spec = (points: number): PanelSpec => ({
  id: 'acc',
  title: 'Accuracy',
  type: 'lines',
  topic: 'm',
  fields: { x: 'seen' },
  options: { points, series: [{ field: 'a' }, { field: 'b' }] },
});

test('lines: a row per x with each series (null where missing); a repeated x replaces its row', () => {
  const agg = createAggregator(spec(100));
  agg.add([rec({ seen: 2, a: 0.5, b: 0.4 }), rec({ seen: 1, a: 0.1 }), rec({ seen: 2, a: 0.6, b: 0.45 }), rec('x')]);
  const d = (agg.flush() as unknown as { data: LinesData }).data;
  assert.deepEqual(d.rows, [
    [1, 0.1, null],
    [2, 0.6, 0.45],
  ]);
  assert.equal(d.total, 3);
  assert.equal(agg.flush(), undefined, 'nothing new');
});

test('lines: over the cap, older points are thinned and the newest kept, in order', () => {
  const agg = createAggregator(spec(10));
  agg.add(Array.from({ length: 200 }, (_, i) => rec({ seen: i, a: i / 200, b: 0.5 })));
  const rows = (agg.snapshot() as unknown as { data: LinesData }).data.rows;
  assert.ok(rows.length <= 10, `${rows.length} rows`);
  assert.equal(rows.at(-1)![0], 199, 'the newest point stays');
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i]![0] > rows[i - 1]![0]);
});

test('lines: options are checked (a series is required)', () => {
  assert.throws(() => createAggregator({ ...spec(10), options: { series: [] } }), /options\.series/);
});
