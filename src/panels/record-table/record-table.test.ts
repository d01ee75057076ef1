import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordsOn } from '../../../test/helpers/records.ts';
import type { PanelSpec } from '../../core/app.ts';
import { createAggregator } from '../../server/panels/index.ts';
import type { RecordTableData } from './options.ts';

const rec = recordsOn('u');

const spec: PanelSpec = {
  id: 'newest',
  title: 'Newest',
  type: 'record-table',
  topic: 'u',
  fields: {},
  options: {
    rows: 3,
    initials: ['first', 'last'],
    columns: [{ field: 'first' }, { field: 'p', format: 'percent' }, { field: 'nested.x' }, { field: 'long' }],
    flag: { field: 'correct', equals: false, label: 'wrong' },
  },
};

test('record-table: the newest rows only, cells by field, initials, flagged where the field equals the value', () => {
  const agg = createAggregator(spec);
  const people = [
    { first: 'ana', last: 'lima', p: 0.9, correct: true, nested: { x: 1 }, long: 'y'.repeat(500) },
    { first: 'Émile', last: 'Zola', p: 0.6, correct: false },
    { first: 'Bo', last: '', p: 0.7, correct: true },
    { first: 'Cy', last: 'Young', correct: 'false' },
  ];
  agg.add(people.map((p) => rec(p)));
  const d = (agg.flush() as unknown as { data: RecordTableData }).data;
  assert.equal(d.total, 4);
  assert.deepEqual(
    d.rows.map((r) => [r.initials, r.flagged, r.cells[0], r.cells[1]]),
    [
      ['ÉZ', true, 'Émile', 0.6],
      ['B', false, 'Bo', 0.7],
      ['CY', false, 'Cy', null],
    ],
    'the first record fell out; only a boolean false is flagged',
  );
  agg.add([rec(people[0])]);
  const again = (agg.flush() as unknown as { data: RecordTableData }).data.rows.at(-1)!;
  assert.equal(again.cells[2], 1);
  assert.equal(String(again.cells[3]).length, 201, 'long text cut to 200 characters and an ellipsis');
});

test('record-table: the total is what the topic has had (the partitions’ offset ends), not only the records loaded', () => {
  const agg = createAggregator(spec);
  // A page opened late loads the newest few of each partition.
  const loaded = [
    ...[97, 98, 99].map((offset) => ({ partition: 0, offset })),
    ...[40, 41].map((offset) => ({ partition: 1, offset })),
  ];
  agg.add(
    loaded.map(({ partition, offset }) => ({
      topic: 'u',
      partition,
      offset,
      key: null,
      value: { first: 'a', last: 'b', correct: true },
      timestamp: 0,
      headers: {},
    })),
  );
  const d = (agg.flush() as unknown as { data: RecordTableData }).data;
  const ends = new Map<number, number>();
  for (const r of loaded) ends.set(r.partition, Math.max(ends.get(r.partition) ?? 0, r.offset + 1));
  assert.equal(
    d.total,
    [...ends.values()].reduce((a, b) => a + b, 0),
  );
});
