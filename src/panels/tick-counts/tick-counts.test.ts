import assert from 'node:assert/strict';
import { test } from 'node:test';
import { streamRecord } from '../../../test/helpers/records.ts';
import type { PanelSpec } from '../../core/app.ts';
import { createAggregator } from '../../server/panels/index.ts';
import type { TickCountsData } from './options.ts';

test('tick-counts: records per tick and series (a field equal to a value, or a whole topic), the last N ticks', () => {
  const spec: PanelSpec = {
    id: 'c',
    title: 'C',
    type: 'tick-counts',
    topic: 'people',
    fields: { x: 'tick' },
    options: {
      last: 5,
      stacked: true,
      series: [
        { label: 'zero', field: 's', equals: 0 },
        { label: 'one', field: 's', equals: 1 },
        { label: 'notes', topic: 'notes' },
      ],
    },
  };
  const agg = createAggregator(spec);
  assert.deepEqual(agg.topics, ['people', 'notes']);
  const people = Array.from({ length: 500 }, (_, i) => ({ tick: (i * 7) % 9, s: (i * 13) % 3 }));
  const notes = Array.from({ length: 60 }, (_, i) => ({ tick: (i * 5) % 9 }));
  agg.add([...people.map((v) => streamRecord('people', v)), ...notes.map((v) => streamRecord('notes', v))]);
  const d = (agg.flush() as unknown as { data: TickCountsData }).data;
  const ticks = [4, 5, 6, 7, 8];
  assert.deepEqual(d.xs, ticks);
  const count = (rows: Array<{ tick: number; s?: number }>, t: number, s?: number) =>
    rows.filter((r) => r.tick === t && (s === undefined || r.s === s)).length;
  assert.deepEqual(d.counts, [
    ticks.map((t) => count(people, t, 0)),
    ticks.map((t) => count(people, t, 1)),
    ticks.map((t) => count(notes, t)),
  ]);
});
