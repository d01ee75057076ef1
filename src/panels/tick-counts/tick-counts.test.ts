import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { streamRecord } from '../../../test/helpers/records.ts';
import type { PanelSpec } from '../../core/app.ts';
import type { StreamRecord } from '../../core/record.ts';
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

test('tick-counts: a `sum` series adds up a field of per-tick partial summaries (missing or non-numeric: 0)', () => {
  const spec: PanelSpec = {
    id: 'c',
    title: 'C',
    type: 'tick-counts',
    topic: 'ticks',
    fields: { x: 'tick' },
    options: {
      series: [
        { label: 'a', sum: 'a' },
        { label: 'b', sum: 'b' },
      ],
    },
  };
  const agg = createAggregator(spec);
  const parts = Array.from({ length: 90 }, (_, i) => ({
    tick: i % 10,
    a: (i * 7) % 11,
    ...(i % 4 === 0 ? {} : { b: i % 5 === 0 ? 'x' : (i * 3) % 7 }),
  }));
  agg.add(parts.map((v) => streamRecord('ticks', v)));
  const d = (agg.flush() as unknown as { data: TickCountsData }).data;
  const sum = (field: 'a' | 'b', t: number) =>
    parts
      .filter((p) => p.tick === t)
      .reduce((n, p) => n + (typeof p[field] === 'number' ? (p[field] as number) : 0), 0);
  assert.deepEqual(d.xs, [...Array(10).keys()]);
  assert.deepEqual(d.counts, [d.xs.map((t) => sum('a', t)), d.xs.map((t) => sum('b', t))]);
  assert.deepEqual(d.totals, [d.counts[0]!.reduce((x, y) => x + y), d.counts[1]!.reduce((x, y) => x + y)]);
});

test('tick-counts: partitions whose histories begin mid-tick leave out every tick some partition has only part of (property)', () => {
  const spec: PanelSpec = {
    id: 'c',
    title: 'C',
    type: 'tick-counts',
    topic: 'people',
    fields: { x: 'tick' },
    options: { last: 20, series: [{ label: 'all' }] },
  };
  fc.assert(
    fc.property(
      // Per partition: records a tick, and how many of its newest records the history holds.
      fc.array(fc.tuple(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 400 })), {
        minLength: 1,
        maxLength: 4,
      }),
      (parts) => {
        const TICKS = 12;
        const history: StreamRecord[] = [];
        const full = new Map<number, number>();
        parts.forEach(([perTick, kept], partition) => {
          const all = Array.from({ length: TICKS * perTick }, (_, offset) => ({
            ...record(offset, { tick: Math.floor(offset / perTick) }),
            partition,
          }));
          for (let t = 0; t < TICKS; t++) full.set(t, (full.get(t) ?? 0) + perTick);
          history.push(...all.slice(-kept));
        });
        const agg = createAggregator(spec);
        agg.add(history);
        agg.commitHistory();
        const d = (agg.snapshot() as unknown as { data: TickCountsData }).data;
        const tickOf = (r: StreamRecord) => (r.value as { tick: number }).tick;
        const counted = d.xs.map((x) => history.filter((r) => tickOf(r) === x).length);
        assert.deepEqual(d.counts[0], counted, 'each tick shown counts every history record of it');
        const newest = Math.max(...history.map(tickOf));
        assert.ok(d.xs.includes(newest), 'the newest tick is always shown');
        // Brute force: every tick shown but the newest holds all of its records (no short bar) ...
        for (const [i, x] of d.xs.entries()) if (x !== newest) assert.equal(counted[i], full.get(x), `tick ${x} whole`);
        // ... and a whole tick is left out only at or before the latest tick a partition's history starts in.
        const starts = parts.map(([perTick, kept]) =>
          kept >= TICKS * perTick ? -1 : Math.floor((TICKS * perTick - kept) / perTick),
        );
        for (let t = Math.max(...starts) + 1; t <= newest; t++) assert.ok(d.xs.includes(t), `tick ${t} shown`);
      },
    ),
  );
});

const record = (offset: number, value: unknown): StreamRecord => ({
  topic: 'people',
  partition: 0,
  offset,
  key: null,
  value,
  timestamp: 0,
  headers: {},
});
