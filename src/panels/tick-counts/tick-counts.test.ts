import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordsOn, streamRecord } from '../../../test/helpers/records.ts';
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

test('tick-counts: a history that begins mid-tick leaves that partial tick out; one from the first record keeps it', () => {
  const spec: PanelSpec = {
    id: 'c',
    title: 'C',
    type: 'tick-counts',
    topic: 'people',
    fields: { x: 'tick' },
    options: { last: 10, series: [{ label: 'all' }] },
  };
  // 10 ticks of 100 people, offsets from 0; a history is the newest `n` of them.
  const person = recordsOn('people');
  const all = Array.from({ length: 1000 }, (_, i) => person({ tick: Math.floor(i / 100) }));
  const later = person({ tick: 10 });
  for (const n of [1000, 250, 300, 30]) {
    const agg = createAggregator(spec);
    const history = all.slice(-n);
    agg.add(history);
    agg.commitHistory();
    const d = (agg.snapshot() as unknown as { data: TickCountsData }).data;
    // Brute force: the ticks in the history, less the oldest when the history starts past offset 0 and
    // holds more than one tick (a lone tick is kept: something to draw).
    let ticks = [...new Set(history.map((r) => (r.value as { tick: number }).tick))];
    if (history[0]!.offset > 0 && ticks.length > 1) ticks = ticks.slice(1);
    assert.deepEqual(d.xs, ticks, `history of the newest ${n}`);
    assert.deepEqual(
      d.counts[0],
      ticks.map((t) => history.filter((r) => (r.value as { tick: number }).tick === t).length),
    );
    // Live records after the history are all counted.
    agg.add([later]);
    assert.equal((agg.snapshot() as unknown as { data: TickCountsData }).data.xs.at(-1), 10);
  }
});
