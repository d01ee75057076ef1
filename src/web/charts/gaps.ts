/**
 * Where a line must break. uPlot draws a straight segment between any two points, so a stream that went
 * quiet for 25 minutes looked like a smooth trend across the silence. A null between two points breaks
 * the line; it goes where a step is several times the typical step around it. Typical is local (the
 * median of the neighbouring steps): older history is thinned, so its points are further apart without
 * being gaps. No DOM here, so it is tested under Node.
 */

/** A step longer than this many typical steps is a gap. */
export const GAP_FACTOR = 5;
/** Steps on each side that set the typical step. */
const NEIGHBOURS = 10;

/**
 * x ascending; returns xs and ys with a null inserted at each gap (x midway, so x stays ascending).
 * `minGap` (in x's units): no shorter step is a gap, however regular the line around it. A live line of a
 * record every 100 ms broke at every half-second pause of its process.
 */
export function withGaps(xs: number[], ys: number[], minGap = 0): { xs: number[]; ys: Array<number | null> } {
  const gaps = gapsAfter(xs, minGap);
  if (gaps.size === 0) return { xs, ys };
  const outX: number[] = [];
  const outY: Array<number | null> = [];
  for (let i = 0; i < xs.length; i++) {
    outX.push(xs[i]!);
    outY.push(ys[i]!);
    if (gaps.has(i)) {
      outX.push((xs[i]! + xs[i + 1]!) / 2);
      outY.push(null);
    }
  }
  return { xs: outX, ys: outY };
}

/** Indexes i where the step from xs[i] to xs[i + 1] is a gap. */
export function gapsAfter(xs: number[], minGap = 0): Set<number> {
  const out = new Set<number>();
  const steps: number[] = [];
  for (let i = 1; i < xs.length; i++) steps.push(xs[i]! - xs[i - 1]!);
  for (let i = 0; i < steps.length; i++) {
    if (steps[i]! < minGap) continue;
    const around = [...steps.slice(Math.max(0, i - NEIGHBOURS), i), ...steps.slice(i + 1, i + 1 + NEIGHBOURS)].filter(
      (s) => s > 0,
    );
    // Too few steps to know what is typical (a line just starting): no break.
    if (around.length < 3) continue;
    around.sort((a, b) => a - b);
    const typical = around[Math.floor(around.length / 2)]!;
    if (steps[i]! > typical * GAP_FACTOR) out.add(i);
  }
  return out;
}
