/**
 * Mean and variance of the last `size` numbers, as JSON-serialisable state. Adding is Welford's update; once
 * the window is full, each reading replaces the oldest with the sliding form of the same update. That form
 * subtracts: when the spread collapses (a jump leaves the window, the rest are equal) Σ(x − mean)² cancels down
 * to rounding noise — 3e-14 where it should be 0, which is a z of millions against a flat baseline. So the sums
 * are recomputed in two passes from the values (which the window keeps anyway, to know what leaves it) whenever
 * Σ(x − mean)² falls below 1/1000 of the largest magnitude it has been through since the last recompute, and
 * at the latest every `size` replacements: O(1) amortised, and the error stays bounded whatever the series.
 * A naive Σx, Σx² would lose every digit on readings like 1e9 ± 0.1.
 */
export interface RollingStats {
  values: number[];
  mean: number;
  /** Σ (x − mean)² over the values. */
  m2: number;
  /** Replacements since the last full recompute. */
  replaced: number;
  /** The largest magnitude m2 and its updates reached since then: the scale of its rounding error. */
  scale: number;
}

/** Below this fraction of `scale`, m2's digits are mostly rounding: recompute. */
const CANCELLATION = 1e-3;

export function emptyStats(): RollingStats {
  return { values: [], mean: 0, m2: 0, replaced: 0, scale: 0 };
}

/** A new state with `x` added (and the oldest value dropped once `size` are held). Never changes `s`. */
export function pushStats(s: RollingStats, x: number, size: number): RollingStats {
  const n = s.values.length;
  if (n < size) {
    // Adding only adds non-negative terms: nothing cancels.
    const mean = s.mean + (x - s.mean) / (n + 1);
    const m2 = s.m2 + (x - s.mean) * (x - mean);
    return { values: [...s.values, x], mean, m2, replaced: 0, scale: m2 };
  }
  const values = [...s.values.slice(n - size + 1), x];
  if (s.replaced + 1 >= size) return recompute(values);
  const y = s.values[n - size] as number;
  const mean = s.mean + (x - y) / size;
  const term = (x - y) * (x - mean + y - s.mean);
  const m2 = s.m2 + term;
  const scale = Math.max(s.scale, s.m2, Math.abs(term));
  if (m2 < CANCELLATION * scale) return recompute(values);
  return { values, mean, m2, replaced: s.replaced + 1, scale };
}

function recompute(values: number[]): RollingStats {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let m2 = 0;
  for (const v of values) m2 += (v - mean) * (v - mean);
  return { values, mean, m2, replaced: 0, scale: m2 };
}

/** Population standard deviation of the window (divides by n: the spread the window actually has). */
export function stdOf(s: RollingStats): number {
  return s.values.length === 0 ? 0 : Math.sqrt(s.m2 / s.values.length);
}
