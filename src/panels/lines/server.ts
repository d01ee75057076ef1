import type { PanelSpec } from '../../core/app.ts';
import type { StreamRecord } from '../../core/record.ts';
import { asNumber, getPath } from '../../server/fields.ts';
import type { PanelData } from '../../server/protocol.ts';
import type { ServerPanelType } from '../types.ts';
import { WholeSnapshot } from '../whole-snapshot.ts';
import { type LinesData, type LinesOptions, type LinesRow, linesOptions } from './options.ts';

/** The latest row per x, thinned to `points` (every other older point goes first). */
class Lines extends WholeSnapshot {
  readonly topics: string[];
  readonly #spec: PanelSpec;
  readonly #o: LinesOptions;
  #rows = new Map<number, LinesRow>();
  #total = 0;

  constructor(spec: PanelSpec, o: LinesOptions) {
    super();
    this.#spec = spec;
    this.#o = o;
    this.topics = [spec.topic];
  }

  protected fold(records: StreamRecord[]): boolean {
    let changed = false;
    for (const r of records) {
      if (r.topic !== this.#spec.topic || r.value === null || typeof r.value !== 'object') continue;
      const x = this.#spec.fields.x ? asNumber(getPath(r.value, this.#spec.fields.x)) : r.timestamp;
      if (x === undefined) continue;
      const ys = this.#o.series.map((s) => asNumber(getPath(r.value, s.field)) ?? null);
      this.#rows.set(x, [x, ...ys]);
      this.#total++;
      changed = true;
    }
    if (this.#rows.size > this.#o.points * 1.5) this.#thin();
    return changed;
  }

  #thin(): void {
    const sorted = this.#sorted();
    const half = Math.floor(sorted.length / 2);
    const kept = [...sorted.slice(0, half).filter((_, i) => i % 2 === 0), ...sorted.slice(half)];
    this.#rows = new Map(kept.map((row) => [row[0], row]));
  }

  #sorted(): LinesRow[] {
    return [...this.#rows.values()].sort((a, b) => a[0] - b[0]);
  }

  snapshot(): PanelData {
    while (this.#rows.size > this.#o.points) this.#thin();
    const data: LinesData = { rows: this.#sorted(), total: this.#total };
    return { kind: 'module', type: 'lines', data };
  }
}

export const linesType: ServerPanelType<LinesOptions> = {
  name: 'lines',
  options: linesOptions,
  fields: { accepts: { x: 'a numeric x; default the record time' } },
  aggregator: (spec, o) => new Lines(spec, o),
};
