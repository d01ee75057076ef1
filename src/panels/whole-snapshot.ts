import type { StreamRecord } from '../core/record.ts';
import type { Aggregator } from '../server/panels/types.ts';
import type { PanelData, PanelDelta } from '../server/protocol.ts';

/**
 * An aggregator whose every update is its whole (small) snapshot: `add` folds records and says whether
 * anything changed; a flush then sends the snapshot, and nothing when nothing changed.
 */
export abstract class WholeSnapshot implements Aggregator {
  abstract readonly topics: string[];
  #changed = false;

  /** Folds the records in; true when the snapshot changed. */
  protected abstract fold(records: StreamRecord[]): boolean;
  abstract snapshot(): PanelData;

  add(records: StreamRecord[]): void {
    if (this.fold(records)) this.#changed = true;
  }

  commitHistory(): void {
    this.#changed = false;
  }

  flush(): PanelDelta | undefined {
    if (!this.#changed) return undefined;
    this.#changed = false;
    return this.snapshot() as PanelDelta;
  }
}
