import type { PanelSpec } from '../../core/app.ts';
import type { StreamRecord } from '../../core/record.ts';
import { asNumber, getPath } from '../../server/fields.ts';
import type { Aggregator } from '../../server/panels/types.ts';
import type { ServerPanelType } from '../types.ts';
import {
  DEFAULT_MAX_GROUPS,
  type GroupLine,
  type GroupSeriesData,
  type LineOptions,
  lineOptions,
  type Mark,
  type Point,
  type SeriesData,
} from './options.ts';

/** Points kept per series; older points are thinned, not dropped, so a long run keeps its shape. */
export const SERIES_CAP = 2000;
/** Points sent per panel per tick: at 10,000 records/s a tick holds 2,500 records, the browser gets 8. */
const POINTS_PER_FLUSH = 8;
/** Event time going back further than this starts a new series: a replay was restarted. */
const RESTART_AFTER_MS = 5 * 60_000;

type MarksSpec = NonNullable<LineOptions['marks']>;

/** A mark and, when its record says so, the position on the line's topic of the reading it is about. */
interface OwnedMark {
  mark: Mark;
  partition?: number;
  offset?: number;
}

/**
 * `line` (a numeric field over event time) and `cumulative` (records so far over event time). The
 * cumulative count comes from offsets, not from counting what we saw, so it is exact even though the
 * dashboard loads only the recent history and may skip ahead under load.
 */
export class SeriesPanel implements Aggregator {
  readonly topics: string[];
  readonly #spec: PanelSpec;
  readonly #cumulative: boolean;
  readonly #averageOfValues: boolean;
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
  #marks: OwnedMark[] = [];
  /**
   * Per partition, the first offset of the current series (after the last restart). A replay restarted
   * onto the topic repeats the earlier replay's event times, so a stall of the earlier replay fell inside
   * the new line's time span and was drawn over it; its reading's offset says which replay it came from.
   */
  readonly #seriesFrom = new Map<number, number>();
  /** Per partition, the next offset after the last point seen. */
  readonly #nextOffset = new Map<number, number>();
  #changed = false;

  /** `o`: a `line`'s checked options; a `cumulative` panel has none of them. */
  constructor(spec: PanelSpec, o: Partial<LineOptions>, cumulative = false) {
    this.#spec = spec;
    this.#cumulative = cumulative;
    this.#marksSpec = o.marks;
    // `average: true` is the mean of the plotted values; a path reads an exact figure from a stats topic.
    this.#averageOfValues = o.average === true;
    if (typeof o.average === 'string') {
      this.#averagePath = o.average;
      this.#averageTopic = o.averageTopic ?? `${spec.topic}.stats`;
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
    if (this.#cumulative) {
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
      // Everything up to here (on every partition) was the old series; the last point seen bounds it,
      // since history before the detailed window is only sampled.
      for (const [p, next] of this.#nextOffset) this.#seriesFrom.set(p, next);
      this.#seriesFrom.set(r.partition, Math.max(this.#seriesFrom.get(r.partition) ?? 0, r.offset));
      this.#marks = this.#marks.filter((m) => this.#ofCurrentSeries(m));
      this.#reset = true;
      this.#lastX = x;
    }
    this.#nextOffset.set(r.partition, Math.max(this.#nextOffset.get(r.partition) ?? 0, r.offset + 1));
    // Small disorder (several partitions) is flattened: the chart needs x ascending.
    x = Math.max(x, this.#lastX);
    this.#lastX = x;
    this.#pending.push([x, y]);
  }

  #addMark(r: StreamRecord, m: MarksSpec): void {
    const kind = getPath(r.value, m.field);
    const x = (m.at === undefined ? undefined : asNumber(getPath(r.value, m.at))) ?? r.timestamp;
    const partition = m.reading === undefined ? undefined : asNumber(getPath(r.value, `${m.reading}.partition`));
    const offset = m.reading === undefined ? undefined : asNumber(getPath(r.value, `${m.reading}.offset`));
    const owned: OwnedMark = {
      mark: { start: x },
      ...(offset === undefined ? {} : { partition: partition ?? 0, offset }),
    };
    // A mark of an earlier series (history loads the line first; a processor lags its input) is dropped.
    if (!this.#ofCurrentSeries(owned)) return;
    const last = this.#marks[this.#marks.length - 1];
    if (last && x < last.mark.start - RESTART_AFTER_MS) this.#marks = [];
    const open = this.#marks[this.#marks.length - 1]?.mark;
    if (kind === m.start && (!open || open.end !== undefined)) {
      const y = asNumber(getPath(r.value, this.#spec.fields.y));
      if (y !== undefined) owned.mark.y = y;
      this.#marks.push(owned);
      if (this.#marks.length > 200) this.#marks.shift();
    } else if (kind === m.end && open && open.end === undefined) open.end = Math.max(x, open.start);
    else return;
    this.#changed = true;
  }

  /** Marks that say which reading they are about must be about one of the current series; others cannot tell. */
  #ofCurrentSeries(m: OwnedMark): boolean {
    if (m.offset === undefined) return true;
    return m.offset >= (this.#seriesFrom.get(m.partition ?? 0) ?? 0);
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

  snapshot(): SeriesData {
    return { kind: 'series', points: this.#points, total: this.#total(), marks: this.#visibleMarks(), ...this.#avg() };
  }

  flush(): SeriesData | undefined {
    if (this.#pending.length === 0 && !this.#changed && !this.#reset) return undefined;
    const points = downsample(this.#pending, POINTS_PER_FLUSH, this.#cumulative);
    this.#points = thin([...this.#points, ...points], SERIES_CAP);
    const delta: SeriesData = {
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

  /** Values drawn so far (a `cumulative`: records so far). */
  get total(): number {
    return this.#total();
  }

  #total(): number {
    if (!this.#cumulative) return this.#seen;
    let n = 0;
    for (const e of this.#ends.values()) n += e;
    return n;
  }

  #avg(): { average?: number } {
    if (this.#averagePath) return this.#average === undefined ? {} : { average: this.#average };
    if (this.#averageOfValues && this.#seen > 0) return { average: this.#sum / this.#seen };
    return {};
  }

  /** Marks of an earlier replay lie outside the current series; only the current run's are drawn. */
  #visibleMarks(): Mark[] {
    const first = this.#points[0]?.[0] ?? this.#pending[0]?.[0];
    if (first === undefined) return [];
    return this.#marks.map((o) => o.mark).filter((m) => (m.end ?? m.start) >= first && m.start <= this.#lastX);
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

/** A group value as a line's name: text cut to 80 characters; a record without one is `(none)`. */
function groupName(v: unknown): string {
  return v === undefined || v === null ? '(none)' : String(v).slice(0, 80);
}

/** Group names past the cap remembered to say how many there are; beyond this many, records still count. */
const OTHER_NAMES_KEPT = 1000;

/**
 * `line` with `fields.group`: one line per value of the group field (a sensor, a key), each a `SeriesPanel`
 * of its own (its restarts, thinning and downsampling), for the first `maxGroups` values seen. Records of
 * further groups are not drawn but counted, and the page says so. `average` is over the drawn lines' values.
 */
export class GroupSeriesPanel implements Aggregator {
  readonly topics: string[];
  readonly #spec: PanelSpec;
  /** What each group's line reads: the panel without its group (and without marks and average). */
  readonly #lineSpec: PanelSpec;
  readonly #max: number;
  readonly #lines = new Map<string, SeriesPanel>();
  readonly #averageOfValues: boolean;
  readonly #averagePath: string | undefined;
  readonly #averageTopic: string | undefined;
  #average: number | undefined;
  #sum = 0;
  #seen = 0;
  readonly #otherNames = new Set<string>();
  #otherRecords = 0;
  #changed = false;

  constructor(spec: PanelSpec, o: Partial<LineOptions>) {
    this.#spec = spec;
    const { group: _, ...fields } = spec.fields;
    this.#lineSpec = { ...spec, fields, options: {} };
    this.#max = o.maxGroups ?? DEFAULT_MAX_GROUPS;
    this.#averageOfValues = o.average === true;
    if (typeof o.average === 'string') {
      this.#averagePath = o.average;
      this.#averageTopic = o.averageTopic ?? `${spec.topic}.stats`;
    }
    this.topics = [spec.topic, ...(this.#averageTopic ? [this.#averageTopic] : [])];
  }

  add(records: StreamRecord[]): void {
    const byGroup = new Map<SeriesPanel, StreamRecord[]>();
    for (const r of records) {
      if (r.topic === this.#spec.topic) {
        const line = this.#lineOf(groupName(getPath(r.value, this.#spec.fields.group)));
        if (!line) continue;
        const batch = byGroup.get(line);
        if (batch) batch.push(r);
        else byGroup.set(line, [r]);
        if (this.#averageOfValues) {
          const y = asNumber(getPath(r.value, this.#spec.fields.y));
          if (y !== undefined) {
            this.#sum += y;
            this.#seen++;
          }
        }
      } else if (r.topic === this.#averageTopic) {
        this.#average = asNumber(getPath(r.value, this.#averagePath)) ?? this.#average;
        this.#changed = true;
      }
    }
    for (const [line, batch] of byGroup) line.add(batch);
  }

  /** The group's line, made on its first record while there are fewer than `maxGroups`; else undefined. */
  #lineOf(name: string): SeriesPanel | undefined {
    const line = this.#lines.get(name);
    if (line) return line;
    if (this.#lines.size < this.#max) {
      const made = new SeriesPanel(this.#lineSpec, {});
      this.#lines.set(name, made);
      return made;
    }
    this.#otherRecords++;
    if (this.#otherNames.size < OTHER_NAMES_KEPT) this.#otherNames.add(name);
    this.#changed = true;
    return undefined;
  }

  commitHistory(): void {
    for (const line of this.#lines.values()) line.commitHistory();
    this.#changed = false;
  }

  snapshot(): GroupSeriesData {
    const groups = [...this.#lines].map(([name, line]) => ({ name, points: line.snapshot().points }));
    return this.#data(groups);
  }

  flush(): GroupSeriesData | undefined {
    const groups: GroupLine[] = [];
    for (const [name, line] of this.#lines) {
      const d = line.flush();
      if (d) groups.push({ name, points: d.points, ...(d.reset ? { reset: true } : {}) });
    }
    if (groups.length === 0 && !this.#changed) return undefined;
    this.#changed = false;
    return this.#data(groups);
  }

  #data(groups: GroupLine[]): GroupSeriesData {
    let total = 0;
    for (const line of this.#lines.values()) total += line.total;
    const average = this.#averagePath
      ? this.#average
      : this.#averageOfValues && this.#seen > 0
        ? this.#sum / this.#seen
        : undefined;
    return {
      kind: 'group-series',
      groups,
      total,
      ...(average === undefined ? {} : { average }),
      ...(this.#otherRecords > 0 ? { others: { groups: this.#otherNames.size, records: this.#otherRecords } } : {}),
    };
  }
}

/** Options that say nothing (or something else) about the chosen fields, refused rather than ignored. */
function checkLine(spec: PanelSpec, o: LineOptions): string | undefined {
  if (spec.fields.group !== undefined) {
    if (o.marks) return 'options.marks: marks are drawn on a single line, not with fields.group';
    if (o.smooth) return 'options.smooth: a rolling mean is for a single line; with fields.group each group is a line';
    if (o.color !== undefined)
      return 'options.color: with fields.group, colour the groups with colors: { <value>: colour }';
    return undefined;
  }
  if (o.maxGroups !== undefined) return 'options.maxGroups: only with fields.group (one line per group)';
  if (o.colors !== undefined)
    return 'options.colors: only with fields.group (one line per group); one line takes color';
  return undefined;
}

export const lineType: ServerPanelType<LineOptions> = {
  name: 'line',
  options: lineOptions,
  fields: {
    accepts: {
      y: 'the number drawn',
      x: 'a numeric event time in ms; default the record time',
      group: 'one line per value of this field',
    },
    requires: ['y'],
  },
  check: checkLine,
  aggregator: (spec, o) => (spec.fields.group === undefined ? new SeriesPanel(spec, o) : new GroupSeriesPanel(spec, o)),
};
