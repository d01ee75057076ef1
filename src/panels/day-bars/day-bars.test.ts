import assert from 'node:assert/strict';
import { test } from 'node:test';
import { streamRecord } from '../../../test/helpers/records.ts';
import type { PanelSpec } from '../../core/app.ts';
import { isRunnelError } from '../../core/errors.ts';
import { createAggregator } from '../../server/panels/index.ts';
import type { DayBarsData } from './options.ts';

const DAY = 86_400_000;
const rec = streamRecord;

const spec: PanelSpec = {
  id: 'calories',
  title: 'Calories',
  type: 'day-bars',
  topic: 'oura.days',
  fields: { x: 'day', y: 'total_calories', group: 'band' },
  options: {
    days: 5,
    line: { field: 'high_activity_minutes' },
    marks: [{ topic: 'oura.alerts', field: 'type', equals: 'anomaly_started', x: 'day', label: 'reason' }],
    details: ['steps'],
  },
};

test('day-bars keeps the latest record per day over the last N days, and the marks of those days', () => {
  const agg = createAggregator(spec);
  assert.deepEqual(agg.topics, ['oura.days', 'oura.alerts']);
  const day = (d: number) => `2025-01-${String(d).padStart(2, '0')}`;
  agg.add(
    [1, 2, 3, 5, 6, 8].map((d) =>
      rec('oura.days', {
        day: day(d),
        total_calories: 2000 + d,
        band: 'red',
        high_activity_minutes: d,
        steps: d * 100,
      }),
    ),
  );
  // A day sent again: the later copy wins.
  agg.add([
    rec('oura.days', { day: day(6), total_calories: 3100, band: 'green', high_activity_minutes: null, steps: 1 }),
  ]);
  agg.add([
    rec('oura.alerts', { type: 'anomaly_started', day: day(5), reason: 'high activity with low calories' }),
    rec('oura.alerts', { type: 'anomaly_ended', day: day(6), reason: 'fits again' }),
    rec('oura.alerts', { type: 'anomaly_started', day: day(2), reason: 'too old to show' }),
  ]);
  const snap = agg.snapshot();
  assert.equal(snap.kind, 'module');
  const data = snap.data as DayBarsData;
  const at = (d: number) => Date.parse(`${day(d)}T00:00:00Z`);
  assert.equal(data.step, DAY);
  // Days 4 to 8 are the last five slots; 4 and 7 have no data (empty slots drawn by the page).
  assert.deepEqual(data.rows, [
    [at(5), 2005, 5, 'red', { steps: 500 }],
    [at(6), 3100, null, 'green', { steps: 1 }],
    [at(8), 2008, 8, 'red', { steps: 800 }],
  ]);
  assert.deepEqual(data.marks, [{ x: at(5), label: 'high activity with low calories' }]);
  assert.ok(agg.flush(), 'changed since the last flush');
  assert.equal(agg.flush(), undefined);
});

test('a misspelt option or an unknown panel type fails in one line naming the panel', () => {
  const bad = { ...spec, options: { ...spec.options, dayz: 3 } };
  assert.throws(
    () => createAggregator(bad),
    (e: unknown) =>
      isRunnelError(e) &&
      e.code === 'RUNNEL_CONFIG_INVALID' &&
      /panel "calories" \(day-bars\): options/.test(e.message),
  );
  assert.throws(
    () => createAggregator({ ...spec, type: 'pie' }),
    (e: unknown) => isRunnelError(e) && /unknown panel type "pie" \(known: .*day-bars/.test(e.message),
  );
});
