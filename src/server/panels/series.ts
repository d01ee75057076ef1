import type { PanelSpec } from '../../core/app.ts';
import type { StreamRecord } from '../../core/record.ts';
import { asNumber, getPath } from '../fields.ts';
import type { Mark, PanelData, PanelDelta, Point } from '../protocol.ts';
import type { Aggregator } from './types.ts';

/** Points kept per series; older points are thinned, not dropped, so a long run keeps its shape. */
export const SERIES_CAP = 2000;
/** Points sent per panel per tick: at 10,000 records/s a tick holds 2,500 records, the browser gets 8. */
const POINTS_PER_FLUSH = 8;
/** Event time going back further than this starts a new series: a replay was restarted. */
const RESTART_AFTER_MS = 5 * 60_000;

interface MarksSpec {
  topic: string;
  field: string;
  start: string;
  end: string;
}

/**
 * `line` (a numeric field over event time) and `cumulative` (records so far over event time). The
 * cumulative count comes from offsets, not from counting what we saw, so it is exact even though the
 * dashboard loads only the recent history and may skip ahead under load.
 */
export class SeriesPanel implements Aggregator {
  readonly topics: string[];
  readonly #spec: PanelSpec;
  readonly #marksSpec: MarksSpec | undefined;
  readonly #averagePath: string | undefined;
  readonly #averageTopic: string | undefined;
  #points: Point[] = [];
  #pending: Point[] = [];
  #reset = false;
  #lastX = Number.NEGATIVE_INFINITY;
  readonly #ends = new Map<number, number>();
  #seen = 0;
  #sum = 0;
  #average: number | undefined;
  #marks: Mark[] = [];
  #changed = false;

  constructor(spec: PanelSpec) {
    this.#spec = spec;
    const o = spec.options ?? {};
    const m = o.marks as Partial<MarksSpec> | undefined;
    this.#marksSpec =
      m && typeof m === 'object' && typeof m.topic === 'string'
        ? { topic: m.topic, field: m.field ?? 'type', start: m.start ?? 'start', end: m.end ?? 'end' }
        : undefined;
    // `average: true` is the mean of the plotted values; a path reads an exact figure from a stats topic.
    if (typeof o.average === 'string') {
      this.#averagePath = o.average;
      this.#averageTopic = typeof o.averageTopic === 'string' ? o.averageTopic : `${spec.topic}.stats`;
    }
    this.topics = [
      spec.topic,
      ...(this.#marksSpec ? [this.#marksSpec.topic] : []),
      ...(this.#averageTopic ? [this.#averageTopic] : []),
    ];
  }

  add(records: StreamRecord[]): void {
    for (const r of records) {
      if (r.topic === this.#spec.topic) this.#addPoint(r);
      else if (r.topic === this.#marksSpec?.topic) this.#addMark(r, this.#marksSpec);
      else if (r.topic === this.#averageTopic) {
        this.#average = asNumber(getPath(r.value, this.#averagePath)) ?? this.#average;
        this.#changed = true;
      }
    }
  }

  #addPoint(r: StreamRecord): void {
    let y: number | undefined;
    if (this.#spec.type === 'cumulative') {
      this.#ends.set(r.partition, Math.max(this.#ends.get(r.partition) ?? 0, r.offset + 1));
      y = 0;
      for (const n of this.#ends.values()) y += n;
    } else {
      y = asNumber(getPath(r.value, this.#spec.fields.y));
      if (y === undefined) return;
      this.#seen++;
      this.#sum += y;
    }
    let x = asNumber(this.#spec.fields.x ? getPath(r.value, this.#spec.fields.x) : undefined) ?? r.timestamp;
    if (x < this.#lastX - RESTART_AFTER_MS) {
      this.#points = [];
      this.#pending = [];
      this.#marks = [];
      this.#reset = true;
      this.#lastX = x;
    }
    // Small disorder (several partitions) is flattened: the chart needs x ascending.
    x = Math.max(x, this.#lastX);
    this.#lastX = x;
    this.#pending.push([x, y]);
  }

  #addMark(r: StreamRecord, m: MarksSpec): void {
    const kind = getPath(r.value, m.field);
    const x = asNumber(getPath(r.value, 'at')) ?? r.timestamp;
    const last = this.#marks[this.#marks.length - 1];
    if (last && x < last.start - RESTART_AFTER_MS) this.#marks = [];
    const open = this.#marks[this.#marks.length - 1];
    if (kind === m.start && (!open || open.end !== undefined)) {
      const y = asNumber(getPath(r.value, this.#spec.fields.y));
      this.#marks.push({ start: x, ...(y === undefined ? {} : { y }) });
      if (this.#marks.length > 200) this.#marks.shift();
    } else if (kind === m.end && open && open.end === undefined) open.end = Math.max(x, open.start);
    else return;
    this.#changed = true;
  }

  /** Commits history in full (thinned to the cap), where live ticks are downsampled. */
  commitHistory(): void {
    this.#pending.sort((a, b) => a[0] - b[0]);
    this.#points = thin([...this.#points, ...this.#pending], SERIES_CAP);
    this.#lastX = this.#points[this.#points.length - 1]?.[0] ?? this.#lastX;
    this.#pending = [];
    this.#reset = false;
    this.#changed = false;
  }

  snapshot(): PanelData {
    return { kind: 'series', points: this.#points, total: this.#total(), marks: this.#visibleMarks(), ...this.#avg() };
  }

  flush(): PanelDelta | undefined {
    if (this.#pending.length === 0 && !this.#changed && !this.#reset) return undefined;
    const points = downsample(this.#pending, POINTS_PER_FLUSH, this.#spec.type === 'cumulative');
    this.#points = thin([...this.#points, ...points], SERIES_CAP);
    const delta: PanelDelta = {
      kind: 'series',
      points,
      total: this.#total(),
      marks: this.#visibleMarks(),
      ...this.#avg(),
      ...(this.#reset ? { reset: true } : {}),
    };
    this.#pending = [];
    this.#reset = false;
    this.#changed = false;
    return delta;
  }

  #total(): number {
    if (this.#spec.type !== 'cumulative') return this.#seen;
    let n = 0;
    for (const e of this.#ends.values()) n += e;
    return n;
  }

  #avg(): { average?: number } {
    if (this.#averagePath) return this.#average === undefined ? {} : { average: this.#average };
    if (this.#spec.options?.average === true && this.#seen > 0) return { average: this.#sum / this.#seen };
    return {};
  }

  /** Marks of an earlier replay lie outside the current series; only the current run's are drawn. */
  #visibleMarks(): Mark[] {
    const first = this.#points[0]?.[0] ?? this.#pending[0]?.[0];
    if (first === undefined) return [];
    return this.#marks.filter((m) => (m.end ?? m.start) >= first && m.start <= this.#lastX);
  }
}

/** At most `n` points from one tick: per bucket the last count (cumulative) or the mean value (line). */
export function downsample(points: Point[], n: number, cumulative: boolean): Point[] {
  if (points.length <= n) return points;
  const out: Point[] = [];
  const size = points.length / n;
  for (let b = 0; b < n; b++) {
    const from = Math.floor(b * size);
    const to = Math.floor((b + 1) * size);
    const last = points[to - 1]!;
    if (cumulative) out.push(last);
    else {
      let sum = 0;
      for (let i = from; i < to; i++) sum += points[i]![1];
      out.push([last[0], sum / (to - from)]);
    }
  }
  return out;
}

/** Over the cap, every other point of the older half goes: recent data stays dense, old data coarse. */
export function thin(points: Point[], cap: number): Point[] {
  let out = points;
  while (out.length > cap) {
    const half = Math.floor(out.length / 2);
    const older = out.slice(0, half).filter((_, i) => i % 2 === 0);
    out = [...older, ...out.slice(half)];
  }
  return out;
}
