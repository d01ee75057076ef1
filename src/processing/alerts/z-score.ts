import { after, type CommonOptions, configError, formatter, makeRule } from './episode.ts';
import { emptyStats, pushStats, type RollingStats, stdOf } from './rolling-stats.ts';

export interface ZScoreOptions extends CommonOptions {
  /** Readings in the baseline: the N readings before the current one. */
  window: number;
  /** Starts when |z| > threshold. */
  threshold: number;
  /** Hysteresis: ends once |z| ≤ clearAt (≤ threshold). Default: threshold. */
  clearAt?: number;
  /**
   * Floor for the standard deviation, in the reading's unit: a flat baseline would otherwise make the
   * smallest wobble an anomaly. Default 0.
   */
  minStd?: number;
}

/**
 * z = (value − mean) / std against a rolling baseline of the `window` readings BEFORE the current one: the
 * current reading is excluded, so a spike cannot dilute its own score; it joins the baseline afterwards (an
 * anomaly that persists becomes the new normal). Standard deviation: population, floored by `minStd`. No verdict
 * until the baseline is full, nor when its spread is 0 (or float noise: ≤ 1e-9 relative to the mean). Peak: the
 * z of largest magnitude, signed.
 *
 * @example zScore({ label: 'heart rate', window: 30, threshold: 3, clearAt: 2, minStd: 1 })
 */
export function zScore(o: ZScoreOptions) {
  const size = o.window;
  if (!Number.isInteger(size) || size < 2) throw configError('window', 'must be a whole number of readings >= 2', size);
  if (!(Number.isFinite(o.threshold) && o.threshold > 0)) throw configError('threshold', 'must be > 0', o.threshold);
  const clearAt = o.clearAt ?? o.threshold;
  if (!(Number.isFinite(clearAt) && clearAt >= 0 && clearAt <= o.threshold)) {
    throw configError('clearAt', `must be between 0 and threshold (${o.threshold})`, o.clearAt);
  }
  const minStd = o.minStd ?? 0;
  if (!(Number.isFinite(minStd) && minStd >= 0)) throw configError('minStd', 'must be >= 0', o.minStd);
  const { label, num, qty } = formatter(o);
  const z2 = (z: number) => z.toFixed(2);
  return makeRule<RollingStats>(o, {
    kind: 'zScore',
    direction: 'abs',
    initialWindow: emptyStats,
    observe(w, value) {
      const next = pushStats(w, value, size);
      if (w.values.length < size) return { w: next, verdict: { trigger: false, clear: false, figures: {} } };
      const { mean } = w;
      const raw = stdOf(w);
      const std = raw <= 1e-9 * Math.max(1, Math.abs(mean)) ? minStd : Math.max(raw, minStd);
      if (std === 0) return { w: next, verdict: { trigger: false, clear: false, figures: {} } };
      const z = (value - mean) / std;
      const figures = { value, mean, std, z, threshold: o.threshold };
      return {
        w: next,
        verdict: { trigger: Math.abs(z) > o.threshold, clear: Math.abs(z) <= clearAt, measure: z, figures },
      };
    },
    describe(type, { verdict, value, peak, durationMs }) {
      const { mean = 0, std = 0, z = 0 } = verdict.figures;
      const base = `mean ${num(mean)}, std ${num(std)} over the previous ${size} readings`;
      if (type === 'started') return `${label} ${qty(value)} is ${z2(z)} standard deviations from the ${base}`;
      if (type === 'updated') return `${label} ${qty(value)} still at z ${z2(z)}, peak z ${z2(peak)}`;
      return `${label} back to z ${z2(z)} (${qty(value)}; ${base})${after(durationMs)}; peak z ${z2(peak)}`;
    },
  });
}
