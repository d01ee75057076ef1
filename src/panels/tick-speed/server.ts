import type { PanelSpec } from '../../core/app.ts';
import type { StreamRecord } from '../../core/record.ts';
import { asNumber, getPath } from '../../server/fields.ts';
import type { Aggregator } from '../../server/panels/types.ts';
import type { PanelData, PanelDelta } from '../../server/protocol.ts';
import type { ServerPanelType } from '../types.ts';
import { type TickSpeedData, type TickSpeedOptions, tickSpeedOptions } from './options.ts';

/**
 * Samples (wall time, newest result tick) as records arrive; the rate is the ticks gained over the
 * window. Only the newest tick of each batch matters, so the input topic costs a max per batch.
 */
export class TickSpeed implements Aggregator {
  readonly topics: string[];
  readonly #spec: PanelSpec;
  readonly #o: TickSpeedOptions;
  readonly #samples: Array<[number, number]> = [];
  #tick: number | null = null;
  #sourceTick: number | null = null;
  #last = '';
  readonly now: () => number;

  constructor(spec: PanelSpec, o: TickSpeedOptions, now: () => number = Date.now) {
    this.now = now;
    this.#spec = spec;
    this.#o = o;
    this.topics = o.source && o.source !== spec.topic ? [spec.topic, o.source] : [spec.topic];
  }

  add(records: StreamRecord[]): void {
    const field = this.#spec.fields.x ?? 'tick';
    for (const r of records) {
      if (this.#o.skip !== undefined && getPath(r.value, this.#o.skip)) continue;
      const t = asNumber(getPath(r.value, field));
      if (t === undefined) continue;
      if (r.topic === this.#spec.topic && (this.#tick === null || t > this.#tick)) this.#tick = t;
      if (r.topic === this.#o.source && (this.#sourceTick === null || t > this.#sourceTick)) this.#sourceTick = t;
    }
    if (this.#tick !== null) this.#samples.push([this.now(), this.#tick]);
  }

  #data(): TickSpeedData {
    const now = this.now();
    while (this.#samples.length > 1 && this.#samples[0]![0] < now - this.#o.windowMs) this.#samples.shift();
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    // Over the wall time since the window's first sample: a stall brings the rate down as time passes.
    const rate =
      first && last && now > first[0] ? ((last[1] - first[1]) * 1000) / Math.max(now - first[0], 1000) : null;
    const lag = this.#sourceTick === null ? null : this.#sourceTick - (this.#tick ?? -1);
    return { tick: this.#tick, sourceTick: this.#sourceTick, rate, lag };
  }

  commitHistory(): void {
    // History read at start-up says nothing about the speed now.
    this.#samples.length = 0;
    if (this.#tick !== null) this.#samples.push([this.now(), this.#tick]);
  }

  snapshot(): PanelData {
    return { kind: 'module', type: 'tick-speed', data: this.#data() };
  }

  flush(): PanelDelta | undefined {
    const d = this.#data();
    const text = JSON.stringify({ ...d, rate: d.rate === null ? null : Math.round(d.rate * 10) });
    if (text === this.#last) return undefined;
    this.#last = text;
    return { kind: 'module', type: 'tick-speed', data: d };
  }
}

export const tickSpeedType: ServerPanelType<TickSpeedOptions> = {
  name: 'tick-speed',
  options: tickSpeedOptions,
  fields: { accepts: { x: 'the tick (default `tick`)' } },
  aggregator: (spec, o) => new TickSpeed(spec, o),
};
