import type { PanelSpec } from '../../core/app.ts';
import type { StreamRecord } from '../../core/record.ts';
import { asNumber, getPath } from '../fields.ts';
import type { PanelData, PanelDelta, RecordView } from '../protocol.ts';
import { toView } from '../records.ts';
import type { Aggregator } from './types.ts';

/** Panels that show the latest state of a topic: an alert banner, a table of records, one figure. */
abstract class LatestBase implements Aggregator {
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
    return this.snapshot() as PanelDelta;
  }
}

/** Active while the latest record says so (`fields.active` equals `options.activeWhen`, or is truthy). */
export class AlertPanel extends LatestBase {
  #active = false;
  #since: number | undefined;
  #label: string | undefined;
  #detail: Record<string, unknown> | undefined;
  #count = 0;

  protected take(r: StreamRecord): void {
    const flag = getPath(r.value, this.spec.fields.active);
    const when = this.spec.options?.activeWhen;
    const active = when === undefined ? Boolean(flag) : flag === when;
    if (active && !this.#active) {
      this.#count++;
      this.#since = asNumber(getPath(r.value, 'at')) ?? r.timestamp;
    }
    this.#active = active;
    const label = getPath(r.value, this.spec.fields.label);
    this.#label = label === undefined ? undefined : String(label).slice(0, 200);
    this.#detail = primitives(r.value);
  }

  snapshot(): PanelData {
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

export class TablePanel extends LatestBase {
  #rows: RecordView[] = [];

  protected take(r: StreamRecord): void {
    this.#rows.push(toView(r, 2048));
    const max = asNumber(this.spec.options?.rows) ?? 10;
    if (this.#rows.length > max) this.#rows.splice(0, this.#rows.length - max);
  }

  snapshot(): PanelData {
    return { kind: 'table', rows: this.#rows };
  }
}

export class StatPanel extends LatestBase {
  #value: number | string | null = null;
  #at: number | undefined;

  protected take(r: StreamRecord): void {
    const v = getPath(r.value, this.spec.fields.y);
    this.#value = asNumber(v) ?? (typeof v === 'string' ? v.slice(0, 200) : null);
    this.#at = r.timestamp;
  }

  snapshot(): PanelData {
    return { kind: 'stat', value: this.#value, ...(this.#at === undefined ? {} : { at: this.#at }) };
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
