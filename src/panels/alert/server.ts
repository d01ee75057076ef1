import type { PanelSpec } from '../../core/app.ts';
import type { StreamRecord } from '../../core/record.ts';
import { asNumber, getPath } from '../../server/fields.ts';
import { LatestAggregator } from '../../server/panels/latest.ts';
import type { ServerPanelType } from '../types.ts';
import { type AlertData, type AlertOptions, alertOptions } from './options.ts';

/** Active while the latest record says so (`fields.active` equals `options.activeWhen`, or is truthy). */
class AlertPanel extends LatestAggregator {
  readonly #o: AlertOptions;
  #active = false;
  #since: number | undefined;
  #label: string | undefined;
  #detail: Record<string, unknown> | undefined;
  #count = 0;

  constructor(spec: PanelSpec, o: AlertOptions) {
    super(spec);
    this.#o = o;
  }

  protected take(r: StreamRecord): void {
    const flag = getPath(r.value, this.spec.fields.active);
    const when = this.#o.activeWhen;
    const active = when === undefined ? Boolean(flag) : flag === when;
    if (active && !this.#active) {
      this.#count++;
      this.#since = (this.#o.at === undefined ? undefined : asNumber(getPath(r.value, this.#o.at))) ?? r.timestamp;
    }
    this.#active = active;
    const label = getPath(r.value, this.spec.fields.label);
    this.#label = label === undefined ? undefined : String(label).slice(0, 200);
    this.#detail = primitives(r.value);
  }

  snapshot(): AlertData {
    return {
      kind: 'alert',
      active: this.#active,
      count: this.#count,
      ...(this.#label === undefined ? {} : { label: this.#label }),
      ...(this.#active && this.#since !== undefined ? { since: this.#since } : {}),
      ...(this.#detail ? { detail: this.#detail } : {}),
    };
  }
}

/** The scalar fields of a value (for an alert's details), bounded so a huge record stays small. */
function primitives(value: unknown): Record<string, unknown> | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value).slice(0, 16)) {
    if (typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (typeof v === 'string') out[k] = v.slice(0, 200);
  }
  return out;
}

export const alertType: ServerPanelType<AlertOptions> = {
  name: 'alert',
  options: alertOptions,
  fields: {
    accepts: { active: 'the field saying whether it is on (see activeWhen)', label: 'the text shown' },
    requires: ['active'],
  },
  aggregator: (spec, o) => new AlertPanel(spec, o),
};
