import { withGaps } from '../../web/charts/gaps.ts';
import type { Point } from './options.ts';

/**
 * Several groups' lines on one x axis (uPlot draws aligned columns): the union of their x (seconds), and
 * per group its y at each x. A group's own silences are `null` (the line breaks there, as a single line
 * does); an x where only other groups have a point is `undefined`, which uPlot steps over, so groups that
 * report at different moments still draw as lines. No DOM here, so it is tested under Node.
 */
export function alignGroups(
  lines: Point[][],
  minGapS: number,
): { xs: number[]; ys: Array<Array<number | null | undefined>> } {
  const gapped = lines.map((points) =>
    withGaps(
      points.map((p) => p[0] / 1000),
      points.map((p) => p[1]),
      minGapS,
    ),
  );
  const xs = [...new Set(gapped.flatMap((g) => g.xs))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = gapped.map((g) => {
    const out: Array<number | null | undefined> = new Array(xs.length).fill(undefined);
    for (let i = 0; i < g.xs.length; i++) out[index.get(g.xs[i]!)!] = g.ys[i];
    return out;
  });
  return { xs, ys };
}

/** At most `cap` points: the older half thinned to every other point, again until it fits (the newest kept whole). */
export function thin(points: Point[], cap: number): Point[] {
  let out = points;
  while (out.length > cap) {
    const half = Math.floor(out.length / 2);
    out = [...out.slice(0, half).filter((_, i) => i % 2 === 0), ...out.slice(half)];
  }
  return out;
}
