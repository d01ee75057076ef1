import { formatDuration } from './duration.ts';
import { after, type CommonOptions, configError, formatter, makeRule } from './episode.ts';
import { type LevelOptions, resolveLevel } from './level.ts';
import { durationMs } from './span.ts';

export interface RateOfChangeOptions extends CommonOptions, LevelOptions {
  /** The unit of event time the rate is per, in ms. */
  perMs?: number;
  /** The same as a duration: '1s', '1m', '1h'. Default (without perMs) per minute. */
  per?: string;
  /**
   * Readings back to measure from: 1 (default) compares consecutive readings; N compares with the reading N
   * readings earlier, which smooths noise.
   */
  window?: number;
}

/** Readings kept: `[at, value]`, oldest first, at most window + 1. */
export type RateWindow = [number, number][];

/**
 * Change per unit of event time: (value − earlier value) / (at − earlier at) × per, where the earlier reading is
 * `window` readings back. No verdict until that reading exists, nor when both share a timestamp. Peak: the
 * highest rate (lowest, for `below`: a fall faster than e.g. −5 per minute).
 *
 * @example rateOfChange({ label: 'temperature', unit: '°F', per: '1m', above: 2 })
 */
export function rateOfChange(o: RateOfChangeOptions) {
  const lv = resolveLevel(o);
  if (o.perMs !== undefined && o.per !== undefined) throw configError('perMs/per', 'takes one of the two', o);
  const perMs = o.perMs ?? durationMs('per', o.per ?? '1m');
  if (!(perMs > 0)) throw configError('perMs', 'must be > 0', perMs);
  const back = o.window ?? 1;
  if (!Number.isInteger(back) || back < 1) throw configError('window', 'must be a whole number of readings >= 1', back);
  const { label, num, qty } = formatter(o);
  const perText = o.per ?? (o.perMs === undefined ? '1m' : `${o.perMs}ms`);
  const rateText = (r: number) => `${o.unit ? `${num(r)} ${o.unit}` : num(r)}/${perText}`;
  return makeRule<RateWindow>(o, {
    kind: 'rateOfChange',
    direction: lv.direction,
    initialWindow: () => [],
    observe(w, value, at) {
      const next: RateWindow = [...(w.length > back ? w.slice(w.length - back) : w), [at, value]];
      const base = next.length > back ? next[0] : undefined;
      const dt = base ? at - base[0] : 0;
      if (!base || dt <= 0) return { w: next, verdict: { trigger: false, clear: false, figures: {} } };
      const rate = ((value - base[1]) / dt) * perMs;
      const figures = { rate, from: base[1], to: value, dtMs: dt, [lv.side]: lv.level };
      return { w: next, verdict: { trigger: lv.trigger(rate), clear: lv.clear(rate), measure: rate, figures } };
    },
    describe(type, { verdict, peak, durationMs }) {
      const r = verdict.figures.rate ?? 0;
      const move = `${qty(verdict.figures.from ?? 0)} → ${qty(verdict.figures.to ?? 0)} in ${formatDuration(verdict.figures.dtMs ?? 0)}`;
      if (type === 'started') return `${label} changing at ${rateText(r)}, ${lv.side} ${rateText(lv.level)} (${move})`;
      if (type === 'updated') return `${label} still changing at ${rateText(r)}, peak ${rateText(peak)}`;
      return `${label} rate back to ${rateText(r)}${after(durationMs)}; peak ${rateText(peak)}`;
    },
  });
}
