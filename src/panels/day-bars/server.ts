import type { PanelSpec } from '../../core/app.ts';
import type { StreamRecord } from '../../core/record.ts';
import { asNumber, getPath } from '../../server/fields.ts';
import type { Aggregator } from '../../server/panels/types.ts';
import type { PanelData, PanelDelta } from '../../server/protocol.ts';
import type { ServerPanelType } from '../types.ts';
import { type DayBarsData, type DayBarsMark, type DayBarsOptions, type DayBarsRow, dayBarsOptions } from './options.ts';

const DAY = 86_400_000;

/** A day field as ms at 00:00 UTC: `YYYY-MM-DD`, an ISO time, or ms. */
function dayOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.floor(v / DAY) * DAY;
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  return Number.isFinite(t) ? Math.floor(t / DAY) * DAY : undefined;
}

const text = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v).slice(0, 300));

/**
 * Keeps the latest record per day (a day sent again replaces its bar) and the marks per day, over the
 * last `days` slots; each flush sends the whole window (a few hundred numbers at most).
 */
class DayBars implements Aggregator {
  readonly topics: string[];
  readonly #spec: PanelSpec;
  readonly #o: DayBarsOptions;
  readonly #rows = new Map<number, DayBarsRow>();
  readonly #marks = new Map<string, DayBarsMark>();
  #total = 0;
  #newest = Number.NEGATIVE_INFINITY;
  #changed = false;

  constructor(spec: PanelSpec, o: DayBarsOptions) {
    this.#spec = spec;
    this.#o = o;
    this.topics = [spec.topic, ...new Set(o.marks.map((m) => m.topic).filter((t) => t !== spec.topic))];
  }

  add(records: StreamRecord[]): void {
    for (const r of records) {
      if (r.topic === this.#spec.topic) this.#row(r.value);
      for (const m of this.#o.marks) if (r.topic === m.topic) this.#mark(r.value, m);
    }
  }

  #row(v: unknown): void {
    const { fields } = this.#spec;
    const x = dayOf(getPath(v, fields.x ?? 'day'));
    if (x === undefined) return;
    const y = fields.y ? (asNumber(getPath(v, fields.y)) ?? null) : null;
    const line = this.#o.line ? (asNumber(getPath(v, this.#o.line.field)) ?? null) : null;
    const group = fields.group ? (text(getPath(v, fields.group)) ?? null) : null;
    const details: Record<string, unknown> = {};
    for (const f of this.#o.details) {
      const d = getPath(v, f);
      details[f] = typeof d === 'number' || d === null ? d : text(d);
    }
    if (x < this.#newest - (this.#o.days - 1) * this.#o.step * DAY) return; // older than the window
    this.#rows.set(x, [x, y, line, group, details]);
    this.#total++;
    this.#changed = true;
    this.#trim(x);
  }

  #mark(v: unknown, m: DayBarsOptions['marks'][number]): void {
    if (m.equals !== undefined && text(getPath(v, m.field)) !== m.equals) return;
    const x = dayOf(getPath(v, m.x));
    if (x === undefined) return;
    if (x < this.#newest - (this.#o.days - 1) * this.#o.step * DAY) return; // older than the window
    const label = text(getPath(v, m.label)) ?? m.equals ?? 'marked';
    this.#marks.set(`${x} ${m.equals ?? ''}`, { x, label, ...(m.color ? { color: m.color } : {}) });
    this.#changed = true;
    this.#trim(x);
  }

  /** Only the last `days` slots up to the newest day are kept (rows and marks alike). */
  #trim(x: number): void {
    if (x <= this.#newest) return;
    this.#newest = x;
    const from = x - (this.#o.days - 1) * this.#o.step * DAY;
    for (const x of this.#rows.keys()) if (x < from) this.#rows.delete(x);
    for (const [k, m] of this.#marks) if (m.x < from) this.#marks.delete(k);
  }

  commitHistory(): void {
    this.#changed = false;
  }

  snapshot(): PanelData {
    const data: DayBarsData = {
      step: this.#o.step * DAY,
      rows: [...this.#rows.values()].sort((a, b) => a[0] - b[0]),
      marks: [...this.#marks.values()].sort((a, b) => a.x - b.x),
      total: this.#total,
    };
    return { kind: 'module', type: 'day-bars', data };
  }

  flush(): PanelDelta | undefined {
    if (!this.#changed) return undefined;
    this.#changed = false;
    return this.snapshot() as PanelDelta;
  }
}

export const dayBarsType: ServerPanelType<DayBarsOptions> = {
  name: 'day-bars',
  options: dayBarsOptions,
  fields: {
    accepts: {
      x: 'the day (YYYY-MM-DD or ms; default `day`)',
      y: "the bar's value",
      group: "the value naming the bar's colour in `colors`",
    },
  },
  aggregator: (spec, o) => new DayBars(spec, o),
};
