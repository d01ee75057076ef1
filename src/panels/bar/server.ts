import type { PanelSpec } from '../../core/app.ts';
import { CountsAggregator } from '../../server/panels/counts.ts';
import type { ServerPanelType } from '../types.ts';
import { type BarOptions, barOptions, type CountsData } from './options.ts';

class BarPanel extends CountsAggregator {
  readonly #top: number;

  constructor(spec: PanelSpec, o: BarOptions) {
    super(spec);
    this.#top = o.top;
  }

  protected field(): string | undefined {
    return this.spec.fields.y;
  }

  protected countRaw(value: unknown): string | undefined {
    return value === undefined || value === null ? 'unknown' : String(value).slice(0, 80);
  }

  snapshot(): CountsData {
    const sorted = Object.entries(this.counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const entries = sorted.slice(0, this.#top);
    const rest = sorted.slice(this.#top).reduce((n, [, c]) => n + c, 0);
    if (rest > 0) entries.push(['(others)', rest]);
    return { kind: 'counts', entries, total: sorted.reduce((n, [, c]) => n + c, 0) };
  }
}

export const barType: ServerPanelType<BarOptions> = {
  name: 'bar',
  options: barOptions,
  fields: {
    accepts: { y: 'a { name: count } object in the latest record', group: 'a field to count records by' },
    oneOf: ['y', 'group'],
  },
  aggregator: (spec, o) => new BarPanel(spec, o),
};
