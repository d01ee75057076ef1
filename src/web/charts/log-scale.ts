/**
 * Whether a chart of several lines needs a log scale. On a linear one a topic written ten thousand times a
 * second (the demo's stopcovid positions) flattened every other topic onto the axis: buzz at a few records
 * a second read as zero. A log scale shows each topic's own rate; it is used only when the busiest line's
 * peak is many times the quietest's, and with hysteresis, so a chart near the limit does not flip at every
 * update. No DOM here, so it is tested under Node.
 */

/** Busiest peak over quietest at which the scale turns logarithmic… */
export const LOG_ABOVE = 100;
/** …and at which it turns linear again. */
export const LINEAR_BELOW = 20;

/** `peaks`: each line's highest value (lines that stayed at 0 count for nothing). */
export function wantsLogScale(peaks: number[], current: boolean): boolean {
  const positive = peaks.filter((p) => Number.isFinite(p) && p > 0);
  if (positive.length < 2) return false;
  const spread = Math.max(...positive) / Math.min(...positive);
  return current ? spread >= LINEAR_BELOW : spread > LOG_ABOVE;
}

/**
 * The y range of a log scale: whole powers of ten around the values, so its ticks are 1, 10, 100…
 * (`lo`, `hi`: the positive values' extent; a log scale cannot show 0, drawn as a break instead).
 */
export function logRange(lo: number, hi: number): [number, number] {
  // No positive value (every line at 0): a decade under 1.
  const least = Number.isFinite(lo) && lo > 0 ? lo : Number.isFinite(hi) && hi > 0 ? hi : 0.1;
  let low = Math.floor(Math.log10(least));
  // log10 rounds a value just under a power of ten up to it.
  if (10 ** low > least) low--;
  let high = Math.max(low + 1, Math.ceil(Math.log10(Math.max(hi, least))));
  if (10 ** high < hi) high++;
  return [10 ** low, 10 ** high];
}

/** Values as a log scale draws them: 0 (and below) has no place on it, so it breaks the line. */
export function forLog(ys: Array<number | null>): Array<number | null> {
  return ys.map((y) => (y !== null && y > 0 ? y : null));
}

/** The powers of ten from `lo` to `hi` (a log axis's ticks). */
export function powersOfTen(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.round(Math.log10(lo)); e <= Math.round(Math.log10(hi)); e++) out.push(10 ** e);
  return out.filter((v) => v >= lo * 0.999 && v <= hi * 1.001);
}
