import type { StreamRecord } from '../../core/record.ts';
import type { PanelData, PanelDelta } from '../protocol.ts';

/**
 * The server half of a panel: it folds records into what the chart needs, so the browser receives a
 * few numbers per tick whatever the record rate.
 */
export interface Aggregator {
  /** Topics it reads; the first is the panel's own. */
  readonly topics: string[];
  add(records: StreamRecord[]): void;
  /** Makes everything added so far part of the snapshot without downsampling (history on load). */
  commitHistory(): void;
  /** State as of the last flush: a new browser gets this, then the following deltas. */
  snapshot(): PanelData;
  /** What changed since the last flush, or undefined. */
  flush(): PanelDelta | undefined;
}
