import type { PanelSpec } from '../../core/app.ts';
import { asNumber, getPath } from '../../server/fields.ts';
import { CountsAggregator } from '../../server/panels/counts.ts';
import type { ServerPanelType } from '../types.ts';
import { type HistogramData, type HistogramOptions, histogramOptions } from './options.ts';

class HistogramPanel extends CountsAggregator {
  readonly #o: HistogramOptions;

  constructor(spec: PanelSpec, o: HistogramOptions) {
    super(spec);
    this.#o = o;
  }

  protected field(): string | undefined {
    return this.spec.fields.y ?? this.spec.fields.x;
  }

  protected countRaw(value: unknown): string | undefined {
    const n = asNumber(value);
    return n === undefined ? undefined : String(n);
  }

  snapshot(): HistogramData {
    const values = Object.entries(this.counts)
      .map(([k, n]) => [Number(k), n] as const)
      .filter(([k, n]) => Number.isFinite(k) && n > 0)
      .sort((a, b) => a[0] - b[0]);
    const total = values.reduce((s, [, n]) => s + n, 0);
    const bins = bin(values, this.#o.bins);
    const step = valueStep(values);
    return {
      kind: 'histogram',
      bins,
      // One value per bin (lengths 36, 37, 38; decades 20, 30, 40): each bar is drawn on its value.
      centred: step !== undefined && bins.length > 0 && bins[0]![1] - bins[0]![0] === step,
      marks: this.#marks(values, total),
      total,
    };
  }

  /** `marks: ['length.mean', …]` are read from the latest stats record; raw counting computes them here. */
  #marks(values: ReadonlyArray<readonly [number, number]>, total: number): Array<{ label: string; value: number }> {
    const out: Array<{ label: string; value: number }> = [];
    for (const m of this.#o.marks) {
      const label = m.split('.').pop()!;
      let value = this.latest === undefined ? undefined : asNumber(getPath(this.latest, m));
      if (value === undefined && total > 0 && label === 'mean')
        value = values.reduce((s, [k, n]) => s + k * n, 0) / total;
      if (value === undefined && total > 0 && label === 'median') value = quantile(values, total, 0.5);
      if (value !== undefined) out.push({ label, value });
    }
    return out;
  }
}

/** Fewest bins drawn: one value (the first record) was one bar across the whole chart. */
const MIN_BINS = 5;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The step integer values all lie on (the gcd of their distances; 1 for one value); undefined for others. */
export function valueStep(values: ReadonlyArray<readonly [number, number]>): number | undefined {
  if (values.length === 0 || !values.every(([k]) => Number.isInteger(k))) return undefined;
  const first = values[0]![0];
  return values.reduce((g, [k]) => gcd(g, Math.abs(k - first)), 0) || 1;
}

/**
 * Equal-width bins; integer data (lengths, counts) gets integer-wide bins so no bar straddles a value, and
 * integers on a common step (decades: 20, 30, 40) get bins a whole number of steps wide, starting on a value,
 * so each bar spans its decade [20, 30) rather than a few years of it.
 * Fewer than MIN_BINS bins are padded with empty ones on both sides, so a single value is one bar among
 * empty neighbours, with a bin width that suits its size.
 */
export function bin(values: ReadonlyArray<readonly [number, number]>, target: number): Array<[number, number, number]> {
  if (values.length === 0) return [];
  let min = values[0]![0];
  const max = values[values.length - 1]![0];
  const integers = values.every(([k]) => Number.isInteger(k));
  let width: number;
  let count: number;
  if (integers) {
    const step = valueStep(values)!;
    width = step * Math.max(1, Math.ceil((max - min + step) / step / target));
    count = Math.max(1, Math.ceil((max - min + step) / width - 1e-9));
  } else if (max > min) {
    width = (max - min) / target;
    count = target;
  } else {
    // One distinct value: a tenth of its order of magnitude (36.4 → bins 1 wide, 0.52 → 0.01).
    width = min === 0 ? 1 : 10 ** Math.floor(Math.log10(Math.abs(min))) / 10;
    min -= width / 2;
    count = 1;
  }
  if (count < MIN_BINS) {
    const before = Math.floor((MIN_BINS - count) / 2);
    min -= before * width;
    count = MIN_BINS;
  }
  const bins: Array<[number, number, number]> = [];
  for (let i = 0; i < count; i++) bins.push([min + i * width, min + (i + 1) * width, 0]);
  for (const [k, n] of values) bins[Math.min(count - 1, Math.floor((k - min) / width + 1e-9))]![2] += n;
  return bins;
}

function quantile(values: ReadonlyArray<readonly [number, number]>, total: number, q: number): number {
  let seen = 0;
  for (const [k, n] of values) {
    seen += n;
    if (seen >= total * q) return k;
  }
  return values[values.length - 1]![0];
}

export const histogramType: ServerPanelType<HistogramOptions> = {
  name: 'histogram',
  options: histogramOptions,
  fields: {
    accepts: {
      y: 'a number per record, or a { value: count } object in the latest record',
      x: 'the same as y (one or the other)',
    },
    oneOf: ['y', 'x'],
  },
  aggregator: (spec, o) => new HistogramPanel(spec, o),
};
