import type { PanelSpec } from '../../core/app.ts';
import type { StreamRecord } from '../../core/record.ts';
import { asCounts, getPath } from '../fields.ts';
import type { PanelData, PanelDelta } from '../protocol.ts';
import type { Aggregator } from './types.ts';

/**
 * The base of panels that count (`bar`, `histogram`). Either the app already aggregates (the field holds
 * `{ name: count }` in the latest record of a stats topic, exact over the whole stream) or the panel counts
 * raw records itself (`fields.group` for a bar, a numeric `fields.y` for a histogram) from what it has seen.
 */
export abstract class CountsAggregator implements Aggregator {
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
    return this.snapshot();
  }
}
