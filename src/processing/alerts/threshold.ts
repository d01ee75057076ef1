import { after, type CommonOptions, formatter, makeRule } from './episode.ts';
import { type LevelOptions, resolveLevel } from './level.ts';

export interface ThresholdOptions extends CommonOptions, LevelOptions {}

/**
 * The reading itself above (or below) a level. Peak: the highest reading (lowest, for `below`).
 *
 * @example threshold({ name: 'too-hot', label: 'temperature', unit: '°F', above: 100, clearAt: 95 })
 */
export function threshold(o: ThresholdOptions) {
  const lv = resolveLevel(o);
  const { label, qty } = formatter(o);
  return makeRule<null>(o, {
    kind: 'threshold',
    direction: lv.direction,
    initialWindow: () => null,
    observe: (_w, value) => ({
      w: null,
      verdict: {
        trigger: lv.trigger(value),
        clear: lv.clear(value),
        measure: value,
        figures: { value, [lv.side]: lv.level },
      },
    }),
    describe(type, { value, peak, durationMs }) {
      if (type === 'started') return `${label} ${qty(value)} ${lv.side} ${qty(lv.level)}`;
      if (type === 'updated') return `${label} still ${lv.side} ${qty(lv.level)}: ${qty(value)}, peak ${qty(peak)}`;
      const back = lv.side === 'above' ? 'at or below' : 'at or above';
      return `${label} back to ${qty(value)} (${back} ${qty(lv.clearAt)})${after(durationMs)}; peak ${qty(peak)}`;
    },
  });
}
