import type { PanelSpec } from '../../core/app.ts';
import type { StreamRecord } from '../../core/record.ts';
import { asCounts, asNumber, getPath } from '../fields.ts';
import type { PanelData, PanelDelta } from '../protocol.ts';
import type { Aggregator } from './types.ts';

/**
 * Counts and distributions. Either the app already aggregates (the field holds `{ name: count }` in the
 * latest record of a stats topic, exact over the whole stream) or the panel counts raw records itself
 * (`fields.group` for a bar, a numeric `fields.y` for a histogram) from what it has seen.
 */
abstract class CountsBase implements Aggregator {
  readonly topics: string[];
  protected readonly spec: PanelSpec;
  protected counts: Record<string, number> = {};
  protected latest: unknown;
  #changed = false;

  constructor(spec: PanelSpec) {
    this.spec = spec;
    this.topics = [spec.topic];
  }

  protected abstract field(): string | undefined;
  protected abstract countRaw(value: unknown): string | undefined;

  add(records: StreamRecord[]): void {
    for (const r of records) {
      if (r.topic !== this.spec.topic) continue;
      const raw = getPath(r.value, this.field());
      const map = asCounts(raw);
      if (map && !this.spec.fields.group) {
        this.counts = map;
        this.latest = r.value;
      } else {
        const key = this.countRaw(this.spec.fields.group ? getPath(r.value, this.spec.fields.group) : raw);
        if (key === undefined) continue;
        this.counts[key] = (this.counts[key] ?? 0) + 1;
      }
      this.#changed = true;
    }
  }

  commitHistory(): void {
    this.#changed = false;
  }

  abstract snapshot(): PanelData;

  flush(): PanelDelta | undefined {
    if (!this.#changed) return undefined;
    this.#changed = false;
    return this.snapshot() as PanelDelta;
  }
}

export class BarPanel extends CountsBase {
  protected field(): string | undefined {
    return this.spec.fields.y;
  }

  protected countRaw(value: unknown): string | undefined {
    return value === undefined || value === null ? 'unknown' : String(value).slice(0, 80);
  }

  snapshot(): PanelData {
    const top = asNumber(this.spec.options?.top) ?? 12;
    const sorted = Object.entries(this.counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const entries = sorted.slice(0, top);
    const rest = sorted.slice(top).reduce((n, [, c]) => n + c, 0);
    if (rest > 0) entries.push(['(others)', rest]);
    return { kind: 'counts', entries, total: sorted.reduce((n, [, c]) => n + c, 0) };
  }
}

export class HistogramPanel extends CountsBase {
  protected field(): string | undefined {
    return this.spec.fields.y ?? this.spec.fields.x;
  }

  protected countRaw(value: unknown): string | undefined {
    const n = asNumber(value);
    return n === undefined ? undefined : String(n);
  }

  snapshot(): PanelData {
    const values = Object.entries(this.counts)
      .map(([k, n]) => [Number(k), n] as const)
      .filter(([k, n]) => Number.isFinite(k) && n > 0)
      .sort((a, b) => a[0] - b[0]);
    const total = values.reduce((s, [, n]) => s + n, 0);
    return {
      kind: 'histogram',
      bins: bin(values, asNumber(this.spec.options?.bins) ?? 16),
      marks: this.#marks(values, total),
      total,
    };
  }

  /** `marks: ['length.mean', …]` are read from the latest stats record; raw counting computes them here. */
  #marks(values: ReadonlyArray<readonly [number, number]>, total: number): Array<{ label: string; value: number }> {
    const marks = Array.isArray(this.spec.options?.marks) ? (this.spec.options.marks as unknown[]) : [];
    const out: Array<{ label: string; value: number }> = [];
    for (const m of marks) {
      if (typeof m !== 'string') continue;
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

/** Equal-width bins; integer data (lengths, counts) gets integer-wide bins so no bar straddles a value. */
export function bin(values: ReadonlyArray<readonly [number, number]>, target: number): Array<[number, number, number]> {
  if (values.length === 0) return [];
  const min = values[0]![0];
  const max = values[values.length - 1]![0];
  const integers = values.every(([k]) => Number.isInteger(k));
  const span = integers ? max - min + 1 : max - min || 1;
  const width = integers ? Math.max(1, Math.ceil(span / target)) : span / target;
  const count = Math.max(1, Math.ceil(span / width - 1e-9));
  const bins: Array<[number, number, number]> = [];
  for (let i = 0; i < count; i++) bins.push([min + i * width, min + (i + 1) * width, 0]);
  for (const [k, n] of values) bins[Math.min(count - 1, Math.floor((k - min) / width))]![2] += n;
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
