import type { PanelSpec } from '../../core/app.ts';
import type { StreamRecord } from '../../core/record.ts';
import { asNumber, getPath } from '../../server/fields.ts';
import type { Aggregator } from '../../server/panels/types.ts';
import type { PanelData, PanelDelta } from '../../server/protocol.ts';
import type { ServerPanelType } from '../types.ts';
import { type TickCountsData, type TickCountsOptions, tickCountsOptions } from './options.ts';

/** Counts per tick and series over the last `last` ticks; each flush sends that window (a few KB). */
class TickCounts implements Aggregator {
  readonly topics: string[];
  readonly #spec: PanelSpec;
  readonly #o: TickCountsOptions;
  readonly #byTick = new Map<number, number[]>();
  readonly #totals: number[];
  #newest = Number.NEGATIVE_INFINITY;
  #changed = false;
  /**
   * Until commitHistory: the partitions seen, and the latest first tick of those whose history began
   * after their first record (each topic partition's history is its own newest records, so each may
   * begin at another tick).
   */
  #history: { seen: Set<string>; cutAt: number } | undefined = { seen: new Set(), cutAt: Number.NEGATIVE_INFINITY };

  constructor(spec: PanelSpec, o: TickCountsOptions) {
    this.#spec = spec;
    this.#o = o;
    this.#totals = o.series.map(() => 0);
    this.topics = [...new Set([spec.topic, ...o.series.map((s) => s.topic ?? spec.topic)])];
  }

  add(records: StreamRecord[]): void {
    const field = this.#spec.fields.x ?? 'tick';
    for (const r of records) {
      const x = asNumber(getPath(r.value, field));
      const h = this.#history;
      if (h && x !== undefined && !h.seen.has(`${r.topic}:${r.partition}`)) {
        h.seen.add(`${r.topic}:${r.partition}`);
        if (r.offset > 0) h.cutAt = Math.max(h.cutAt, x);
      }
      if (x === undefined || x < this.#newest - this.#o.last + 1) continue;
      this.#o.series.forEach((s, i) => {
        if ((s.topic ?? this.#spec.topic) !== r.topic) return;
        if (s.field !== undefined && s.equals !== undefined && getPath(r.value, s.field) !== s.equals) return;
        let row = this.#byTick.get(x);
        if (!row) {
          row = this.#o.series.map(() => 0);
          this.#byTick.set(x, row);
        }
        const n = s.sum === undefined ? 1 : (asNumber(getPath(r.value, s.sum)) ?? 0);
        row[i]! += n;
        this.#totals[i]! += n;
        this.#changed = true;
      });
      if (x > this.#newest) {
        this.#newest = x;
        for (const t of this.#byTick.keys()) if (t < x - this.#o.last + 1) this.#byTick.delete(t);
      }
    }
  }

  /**
   * A history that is the newest records of a partition, not all of them, may begin in the middle of a
   * tick: that tick, and any before it, would be drawn with only some of their records (short first bars).
   * Every tick up to the latest such first tick is left out, the newest tick always kept.
   */
  commitHistory(): void {
    const cutAt = this.#history?.cutAt ?? Number.NEGATIVE_INFINITY;
    const newest = Math.max(...this.#byTick.keys());
    for (const t of [...this.#byTick.keys()]) if (t <= cutAt && t < newest) this.#byTick.delete(t);
    this.#history = undefined;
    this.#changed = false;
  }

  snapshot(): PanelData {
    const xs = [...this.#byTick.keys()].sort((a, b) => a - b);
    const data: TickCountsData = {
      xs,
      counts: this.#o.series.map((_, i) => xs.map((x) => this.#byTick.get(x)![i]!)),
      totals: [...this.#totals],
    };
    return { kind: 'module', type: 'tick-counts', data };
  }

  flush(): PanelDelta | undefined {
    if (!this.#changed) return undefined;
    this.#changed = false;
    return this.snapshot() as PanelDelta;
  }
}

export const tickCountsType: ServerPanelType<TickCountsOptions> = {
  name: 'tick-counts',
  options: tickCountsOptions,
  fields: { accepts: { x: 'the whole-number tick (default `tick`)' } },
  aggregator: (spec, o) => new TickCounts(spec, o),
};
