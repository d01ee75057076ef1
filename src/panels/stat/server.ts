import type { StreamRecord } from '../../core/record.ts';
import { asNumber, getPath } from '../../server/fields.ts';
import { LatestAggregator } from '../../server/panels/latest.ts';
import type { ServerPanelType } from '../types.ts';
import { type StatData, type StatOptions, statOptions } from './options.ts';

class StatPanel extends LatestAggregator {
  #value: number | string | null = null;
  #at: number | undefined;

  protected take(r: StreamRecord): void {
    const v = getPath(r.value, this.spec.fields.y);
    this.#value = asNumber(v) ?? (typeof v === 'string' ? v.slice(0, 200) : null);
    this.#at = r.timestamp;
  }

  snapshot(): StatData {
    return { kind: 'stat', value: this.#value, ...(this.#at === undefined ? {} : { at: this.#at }) };
  }
}

export const statType: ServerPanelType<StatOptions> = {
  name: 'stat',
  options: statOptions,
  fields: { accepts: { y: 'the value shown' }, requires: ['y'] },
  aggregator: (spec) => new StatPanel(spec),
};
