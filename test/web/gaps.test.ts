import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withGaps } from '../../src/web/charts/gaps.ts';

const MIN = 60_000;

test('a 25-minute silence in a once-a-minute line breaks it with a null; a steady line is untouched', () => {
  const xs = [
    ...Array.from({ length: 20 }, (_, i) => i * MIN),
    ...Array.from({ length: 20 }, (_, i) => (44 + i) * MIN),
  ];
  const ys = xs.map((_, i) => i / 10);
  const out = withGaps(xs, ys);
  assert.equal(out.xs.length, xs.length + 1);
  const at = out.ys.indexOf(null);
  assert.equal(at, 20, 'the null sits between the last point before and the first after the silence');
  assert.ok(out.xs[at - 1]! < out.xs[at]! && out.xs[at]! < out.xs[at + 1]!, 'x stays ascending');
  assert.deepEqual(
    out.ys.filter((y) => y !== null),
    ys,
  );
  const steady = Array.from({ length: 50 }, (_, i) => i * MIN + (i % 3) * 5000);
  assert.deepEqual(withGaps(steady, steady).ys, steady);
});

test('thinned older history (points further apart, evenly) is not taken for gaps', () => {
  // Older half thinned twice: steps of 4 minutes, then 2, then 1, as SeriesPanel's thin() leaves them.
  const xs: number[] = [];
  let x = 0;
  for (const [n, step] of [
    [30, 4],
    [30, 2],
    [60, 1],
  ] as const) {
    for (let i = 0; i < n; i++) {
      x += step * MIN;
      xs.push(x);
    }
  }
  assert.equal(withGaps(xs, xs).ys.indexOf(null), -1);
});

test('too few points to know the typical step: no break', () => {
  assert.deepEqual(withGaps([0, 1, 100], [1, 2, 3]).ys, [1, 2, 3]);
});

test('with a minimum gap, a dense line keeps through short pauses and still breaks at a long silence', () => {
  // A point every 0.1 s, a 1 s pause, then on; later a 30 s silence. In seconds, minimum gap 10 s.
  const xs: number[] = [];
  let x = 0;
  for (const pause of [0, 1, 0, 30, 0])
    for (let i = 0; i < 40; i++) {
      x += i === 0 ? pause || 0.1 : 0.1;
      xs.push(Number(x.toFixed(3)));
    }
  const without = withGaps(xs, xs).ys.filter((y) => y === null).length;
  assert.equal(without, 2, 'without a minimum, the 1 s pause and the 30 s silence both break the line');
  const out = withGaps(xs, xs, 10);
  assert.equal(out.ys.filter((y) => y === null).length, 1);
  const at = out.ys.indexOf(null);
  assert.ok(out.xs[at + 1]! - out.xs[at - 1]! >= 30, 'the break is at the 30 s silence');
});
