import { lessOrClose } from './compare.ts';
import { after, type CommonOptions, configError, formatter, makeRule } from './episode.ts';
import { describeSpan, resolveSpan, type Span } from './span.ts';

export interface StallOptions extends CommonOptions {
  /**
   * The window: a number of readings (the smoker's 10), or a span of event time ('10m'). A time window holds the
   * readings that cover the last span: those within it plus the latest one at or before its start.
   */
  window: Span;
  /** Stall when max − min over a full window is at most this (float noise forgiven, see `lessOrClose`). */
  threshold: number;
  /** Hysteresis: the stall ends only once the range exceeds this (≥ threshold). Default: threshold. */
  clearAt?: number;
}

/** Readings in the window, `[at, value]`, oldest first. */
export type StallWindow = [number, number][];

/**
 * A stall: the range (max − min) over a full window at most `threshold`. With a count window this is the
 * smoker rule (`StallDetector`): no verdict until the window holds N readings. A time window is full once its
 * oldest reading is at least the span old. Peak: the smallest range.
 *
 * @example stall({ name: 'smoker-stall', label: 'temperature', unit: '°F', window: 10, threshold: 0.2 })
 */
export function stall(o: StallOptions) {
  const span = resolveSpan('window', o.window);
  if ('ms' in span && span.ms <= 0) throw configError('window', 'must be a span of event time > 0', o.window);
  if (!(Number.isFinite(o.threshold) && o.threshold >= 0)) throw configError('threshold', 'must be >= 0', o.threshold);
  const clearAt = o.clearAt ?? o.threshold;
  if (!(Number.isFinite(clearAt) && clearAt >= o.threshold)) {
    throw configError('clearAt', `must be >= threshold (${o.threshold})`, o.clearAt);
  }
  const { label, num, qty } = formatter(o);
  const over = `over the last ${describeSpan(span)}`;
  return makeRule<StallWindow>(o, {
    kind: 'stall',
    direction: 'down',
    initialWindow: () => [],
    observe(w, value, at) {
      let next: StallWindow;
      let full: boolean;
      if ('readings' in span) {
        next = [...(w.length >= span.readings ? w.slice(w.length - span.readings + 1) : w), [at, value]];
        full = next.length === span.readings;
      } else {
        // Keep the latest reading at or before the span's start: it anchors the window's full length.
        const start = at - span.ms;
        let first = 0;
        while (first + 1 < w.length && (w[first + 1] as [number, number])[0] <= start) first++;
        next = [...w.slice(first), [at, value]];
        full = (next[0] as [number, number])[0] <= start;
      }
      if (!full) return { w: next, verdict: { trigger: false, clear: false, figures: {} } };
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const [, v] of next) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const range = max - min;
      const figures = { min, max, range, readings: next.length, threshold: o.threshold };
      const verdict = {
        trigger: lessOrClose(range, o.threshold),
        clear: !lessOrClose(range, clearAt),
        measure: range,
        figures,
      };
      return { w: next, verdict };
    },
    describe(type, { verdict, durationMs }) {
      const { min = 0, max = 0, range = 0 } = verdict.figures;
      const span = `(${num(min)}–${num(max)})`;
      if (type === 'started') return `${label} within ${qty(o.threshold)} ${over} ${span}`;
      if (type === 'updated') return `${label} still within ${qty(o.threshold)} ${over} ${span}`;
      return `${label} moved ${qty(range)} ${over} ${span}: stall ended${after(durationMs)}`;
    },
  });
}
