import type { PanelSpec } from '../../core/app.ts';
import type { StreamRecord } from '../../core/record.ts';
import type { PanelData, PanelDelta } from '../protocol.ts';
import type { Aggregator } from './types.ts';

/**
 * The base of panels that show the latest state of their topic (`alert`, `table`, `stat`): each record
 * is taken in turn, and a flush sends the whole (small) state when anything changed.
 */
export abstract class LatestAggregator implements Aggregator {
  readonly topics: string[];
  protected readonly spec: PanelSpec;
  #changed = false;

  constructor(spec: PanelSpec) {
    this.spec = spec;
    this.topics = [spec.topic];
  }

  protected abstract take(r: StreamRecord): void;
  abstract snapshot(): PanelData;

  add(records: StreamRecord[]): void {
    for (const r of records) {
      if (r.topic !== this.spec.topic) continue;
      this.take(r);
      this.#changed = true;
    }
  }

  commitHistory(): void {
    this.#changed = false;
  }

  flush(): PanelDelta | undefined {
    if (!this.#changed) return undefined;
    this.#changed = false;
    return this.snapshot();
  }
}
