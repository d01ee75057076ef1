import type { PanelSpec } from '../../core/app.ts';
import type { StreamRecord } from '../../core/record.ts';
import { asNumber, getPath } from '../../server/fields.ts';
import type { Aggregator } from '../../server/panels/types.ts';
import type { PanelData, PanelDelta } from '../../server/protocol.ts';
import type { ServerPanelType } from '../types.ts';
import { type PointMapData, type PointMapOptions, pointMapOptions } from './options.ts';

/**
 * The latest position and group of each entity, in typed arrays (an index per entity), so a million
 * people cost a few bytes each here; a frame is built only when something changed and `everyMs` passed.
 */
class PointMap implements Aggregator {
  readonly topics: string[];
  readonly #spec: PanelSpec;
  readonly #o: PointMapOptions;
  readonly #index = new Map<string, number>();
  readonly #groupOf = new Map<string, number>();
  #xs = new Int32Array(1024);
  #ys = new Int32Array(1024);
  #gs = new Int8Array(1024);
  #order = new Float64Array(1024);
  #newest: number | null = null;
  #changed = false;
  #lastFrame = 0;
  #frame: PointMapData;

  constructor(spec: PanelSpec, o: PointMapOptions) {
    this.#spec = spec;
    this.#o = o;
    this.topics = [spec.topic];
    for (const [i, g] of o.groups.entries()) this.#groupOf.set(String(g.value), i);
    this.#frame = this.#build();
  }

  add(records: StreamRecord[]): void {
    const { fields } = this.#spec;
    for (const r of records) {
      const v = r.value;
      const id = getPath(v, this.#o.id);
      const x = asNumber(getPath(v, fields.x ?? 'x'));
      const y = asNumber(getPath(v, fields.y ?? 'y'));
      const g = this.#groupOf.get(String(getPath(v, fields.group ?? 'group')));
      if (id === undefined || id === null || x === undefined || y === undefined || g === undefined) continue;
      const order = this.#o.order === undefined ? 0 : (asNumber(getPath(v, this.#o.order)) ?? 0);
      const key = String(id);
      let i = this.#index.get(key);
      if (i === undefined) {
        i = this.#index.size;
        this.#grow(i + 1);
        this.#index.set(key, i);
      } else if (order < this.#order[i]!) continue; // an older record of someone already placed
      this.#xs[i] = x;
      this.#ys[i] = y;
      this.#gs[i] = g;
      this.#order[i] = order;
      if (this.#o.order !== undefined && (this.#newest === null || order > this.#newest)) this.#newest = order;
      this.#changed = true;
    }
  }

  #grow(n: number): void {
    if (n <= this.#xs.length) return;
    const size = Math.max(n, this.#xs.length * 2);
    const grow = <T extends Int32Array | Int8Array | Float64Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.#xs = grow(this.#xs, new Int32Array(size));
    this.#ys = grow(this.#ys, new Int32Array(size));
    this.#gs = grow(this.#gs, new Int8Array(size));
    this.#order = grow(this.#order, new Float64Array(size));
  }

  /** Points up to maxPoints, else the downsampled heatmap: counts per group in bins × bins cells. */
  #build(): PointMapData {
    const { width, height } = this.#o;
    const n = this.#index.size;
    if (n <= this.#o.maxPoints) {
      const points = new Array<number>(n * 3);
      for (let i = 0; i < n; i++) {
        points[i * 3] = this.#xs[i]!;
        points[i * 3 + 1] = this.#ys[i]!;
        points[i * 3 + 2] = this.#gs[i]!;
      }
      return { mode: 'points', width, height, points, count: n, newest: this.#newest };
    }
    const bx = Math.min(this.#o.bins, width);
    const by = Math.min(this.#o.bins, height);
    const counts = this.#o.groups.map(() => new Array<number>(bx * by).fill(0));
    for (let i = 0; i < n; i++) {
      const cx = Math.min(bx - 1, Math.floor((this.#xs[i]! * bx) / width));
      const cy = Math.min(by - 1, Math.floor((this.#ys[i]! * by) / height));
      counts[this.#gs[i]!]![cy * bx + cx]!++;
    }
    return { mode: 'density', width, height, bx, by, counts, count: n, newest: this.#newest };
  }

  commitHistory(): void {
    this.#frame = this.#build();
    this.#changed = false;
  }

  snapshot(): PanelData {
    return { kind: 'module', type: 'point-map', data: this.#frame };
  }

  flush(): PanelDelta | undefined {
    if (!this.#changed || Date.now() - this.#lastFrame < this.#o.everyMs) return undefined;
    this.#changed = false;
    this.#lastFrame = Date.now();
    this.#frame = this.#build();
    return this.snapshot() as PanelDelta;
  }
}

export const pointMapType: ServerPanelType<PointMapOptions> = {
  name: 'point-map',
  options: pointMapOptions,
  fields: {
    accepts: {
      x: 'the x position (default `x`)',
      y: 'the y position (default `y`)',
      group: 'the group colouring the point (default `group`)',
    },
  },
  aggregator: (spec, o) => new PointMap(spec, o),
};
