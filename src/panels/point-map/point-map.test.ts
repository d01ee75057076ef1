import assert from 'node:assert/strict';
import { test } from 'node:test';
import { streamRecord } from '../../../test/helpers/records.ts';
import type { PanelSpec } from '../../core/app.ts';
import { createAggregator } from '../../server/panels/index.ts';
import type { PointMapData } from './options.ts';

const spec = (maxPoints: number): PanelSpec => ({
  id: 'map',
  title: 'Map',
  type: 'point-map',
  topic: 'people',
  fields: { x: 'x', y: 'y', group: 's' },
  options: {
    width: 50,
    height: 30,
    id: 'id',
    order: 'tick',
    groups: [0, 1, 2].map((v) => ({ value: v, label: String(v), color: 'red' })),
    maxPoints,
    bins: 10,
    everyMs: 0,
  },
});

/** Random people over a few ticks, the records of each tick shuffled with some late ones of the tick before. */
function people(seed: number) {
  let a = seed;
  const r = () => {
    a = (a * 1103515245 + 12345) % 2 ** 31;
    return a / 2 ** 31;
  };
  const rows = [];
  for (let tick = 0; tick < 4; tick++)
    for (let id = 1; id <= 300; id++)
      rows.push({ id, tick, x: Math.floor(r() * 50), y: Math.floor(r() * 30), s: Math.floor(r() * 3) });
  // An older record arriving after a newer one must not replace it.
  const late = rows.filter((p) => p.tick === 2 && p.id % 7 === 0);
  return [...rows, ...late];
}

function latest(rows: ReturnType<typeof people>) {
  const out = new Map<number, (typeof rows)[number]>();
  for (const p of rows) if ((out.get(p.id)?.tick ?? -1) <= p.tick) out.set(p.id, p);
  return out;
}

test('point-map: each entity at its latest position and group, as points up to maxPoints', () => {
  const rows = people(1);
  const agg = createAggregator(spec(1000));
  agg.add(rows.map((v) => streamRecord('people', v)));
  const f = agg.flush();
  assert.ok(f?.kind === 'module');
  const d = f.data as PointMapData;
  assert.equal(d.mode, 'points');
  assert.equal(d.newest, 3);
  const got = new Set<string>();
  if (d.mode === 'points') for (let i = 0; i < d.points.length; i += 3) got.add(d.points.slice(i, i + 3).join(','));
  const want = new Set([...latest(rows).values()].map((p) => `${p.x},${p.y},${p.s}`));
  assert.equal(d.count, 300);
  assert.deepEqual(got, want);
  assert.equal(agg.flush(), undefined, 'nothing new: no frame');
});

test('point-map: above maxPoints, a heatmap per group that adds up to the population of each cell', () => {
  const rows = people(2);
  const agg = createAggregator(spec(100));
  agg.add(rows.map((v) => streamRecord('people', v)));
  const d = (agg.flush() as unknown as { data: PointMapData }).data;
  assert.equal(d.mode, 'density');
  if (d.mode !== 'density') return;
  assert.equal(d.bx, 10);
  assert.equal(d.by, 10);
  const want = [0, 1, 2].map(() => new Array<number>(100).fill(0));
  for (const p of latest(rows).values()) want[p.s]![Math.floor((p.y * 10) / 30) * 10 + Math.floor((p.x * 10) / 50)]!++;
  assert.deepEqual(d.counts, want);
});
