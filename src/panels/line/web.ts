import uPlot from 'uplot';
import type { PanelSpec } from '../../core/app.ts';
import type { PanelData } from '../../server/protocol.ts';
import { card, isNumber, isString, option, type PanelView } from '../../web/charts/card.ts';
import { withGaps } from '../../web/charts/gaps.ts';
import { alpha, autosize, axis, boxSize, COLORS, color, timeAxis } from '../../web/charts/theme.ts';
import { fmtInt, fmtNum, fmtRate } from '../../web/dom.ts';
import { dataOf, type WebPanelType } from '../web.ts';
import { thin } from './align.ts';
import type { LineOptions, Mark, Point, SeriesData } from './options.ts';
import { drawMarks, drawZones, type Zone } from './overlays.ts';
import { groupLinePanel } from './web-groups.ts';

/** Seconds without a point before a line breaks, whatever its usual pace: a pause of a few is not a silence. */
const MIN_GAP_S = 10;

/** Points kept in the browser; as on the server, older points are thinned rather than dropped. */
const CAP = 2000;

/**
 * `line` and `cumulative` panels on uPlot (`cumulative` is this renderer counting): x is event time. Options the app may set: `unit`, `yLabel`,
 * `min`/`max`, `color`, `zones` (coloured value bands), `average` (dashed line), `smooth` (N: raw
 * values as dots plus a rolling mean of N), `marks` (start/end events shaded on the line, e.g. stalls).
 */
export function timeSeriesPanel(spec: PanelSpec, cumulative = false): PanelView {
  const c = card(spec);
  const unit = option(spec, 'unit', isString) ?? '';
  const min = option(spec, 'min', isNumber);
  const max = option(spec, 'max', isNumber);
  const stroke = color(spec.options?.color, cumulative ? COLORS.accent : '#4ECDC4');
  const zones = (Array.isArray(spec.options?.zones) ? spec.options.zones : []) as Zone[];
  const marksOpt = spec.options?.marks as LineOptions['marks'];
  const markLabel = marksOpt?.label ?? (marksOpt?.start ?? 'event').replace(/_?start(ed)?$/, '');
  const yLabel =
    option(spec, 'yLabel', isString) ??
    (cumulative ? `${spec.topic} records (cumulative)` : `${spec.fields.y ?? 'value'}${unit ? ` (${unit})` : ''}`);

  let points: Point[] = [];
  let marks: Mark[] = [];
  let average: number | undefined;
  let total = 0;
  let chart: uPlot | undefined;
  // `smooth: N` forces dots + rolling mean, `smooth: 0` a plain line; unset, the data decides.
  const fixedSmooth = option(spec, 'smooth', isNumber);
  let smooth = 0;

  const seriesFor = (n: number): uPlot.Series[] =>
    n > 0
      ? [
          {},
          {
            label: spec.fields.y ?? 'value',
            stroke: alpha(stroke, 0.7),
            width: 0,
            points: { show: true, size: 5, width: 0, fill: alpha(stroke, 0.65) },
          },
          { label: `rolling mean (${n})`, stroke, width: 2.5, points: { show: false } },
        ]
      : [
          {},
          {
            label: cumulative ? 'records' : (spec.fields.y ?? 'value'),
            stroke,
            width: 2,
            fill: alpha(stroke, cumulative ? 0.16 : 0.08),
            // A line of one point draws nothing: sparse data (the first record, a point alone between two
            // gaps) gets dots, dense data a plain line (uPlot decides from the spacing when show is unset).
            points: { size: 7, fill: stroke, stroke },
          },
        ];

  const data = (): uPlot.AlignedData => {
    const raw = points.map((p) => p[1]);
    // The rolling mean must not average across a silence either: it restarts after each gap.
    const { xs, ys } = withGaps(
      points.map((p) => p[0] / 1000),
      raw,
      MIN_GAP_S,
    );
    return (smooth ? [xs, ys, rolling(ys, smooth)] : [xs, ys]) as uPlot.AlignedData;
  };

  const build = () => {
    chart?.destroy();
    const opts: uPlot.Options = {
      ...boxSize(c.body),
      series: seriesFor(smooth),
      scales: {
        // One point (or none) has no span: uPlot stretched it over years ("Apr 1 Aug 1 Dec 1"). At least
        // a minute is shown, centred on the data, or the last minute before now when there is none.
        // (From the data: for one point uPlot hands the range function a span of its own, 86,400,000 s.)
        x: { time: true, range: (u) => timeRange(u.data[0][0] ?? null, u.data[0][u.data[0].length - 1] ?? null) },
        y:
          min !== undefined && max !== undefined
            ? { range: [min, max] }
            : { range: (_u, lo, hi) => pad(lo, hi, cumulative) },
      },
      axes: [timeAxis('event time'), axis(yLabel, { size: 56, values: (_u, ticks) => ticks.map(tick) })],
      legend: { show: false },
      cursor: { points: { size: 7 } },
      hooks: {
        drawClear: [(u) => drawZones(u, zones, average)],
        draw: [(u) => drawMarks(u, marks, average, markLabel)],
      },
    };
    chart = new uPlot(opts, data(), c.body);
  };
  const unobserve = autosize(c.body, () => chart);

  const render = () => {
    c.setEmpty(points.length === 0);
    const want = cumulative ? 0 : (fixedSmooth ?? (noisy(points) ? 20 : smooth));
    if (!chart || want !== smooth) {
      smooth = want;
      build();
    } else chart.setData(data());
    const last = points[points.length - 1];
    const parts: string[] = [];
    if (cumulative) {
      parts.push(`Total ${fmtInt(total)}`);
      const rate = eventRate(points);
      // The rate over the data's newest ~10 s of event time, not a live one: said so, as it stays when the app
      // stops (a buzz page read "10.0/s" beside an overview at 0).
      if (rate !== undefined) parts.push(`${fmtRate(rate)} over the newest data`);
    } else if (last) parts.push(`now ${fmtNum(last[1])}${unit ? ` ${unit}` : ''}`);
    if (average !== undefined) parts.push(`avg ${fmtNum(average)}`);
    const ongoing = marks.filter((m) => m.end === undefined).length;
    if (marks.length > 0)
      parts.push(`${marks.length} ${marks.length === 1 ? 'event' : 'events'}${ongoing ? ' (1 ongoing)' : ''}`);
    c.summary.textContent = parts.join(' · ');
  };

  return {
    el: c.el,
    apply(raw: PanelData) {
      const d = dataOf<SeriesData>(raw, 'series');
      if (!d) return;
      points = d.points.slice();
      marks = d.marks;
      average = d.average;
      total = d.total;
      render();
    },
    delta(raw: PanelData) {
      const d = dataOf<SeriesData>(raw, 'series');
      if (!d) return;
      if (d.reset) points = [];
      points = thin(points.concat(d.points), CAP);
      marks = d.marks;
      average = d.average;
      total = d.total;
      render();
    },
    destroy() {
      unobserve();
      chart?.destroy();
    },
  };
}

/**
 * Values that barely follow their predecessor (lag-1 autocorrelation under 0.3, e.g. a sentiment score
 * per message) read better as dots under a rolling mean than as a zigzag; a temperature curve stays a line.
 */
function noisy(points: Point[]): boolean {
  const ys = points.slice(-300).map((p) => p[1]);
  if (ys.length < 20) return false;
  const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < ys.length; i++) {
    const d = ys[i]! - mean;
    den += d * d;
    if (i + 1 < ys.length) num += d * (ys[i + 1]! - mean);
  }
  return den > 0 && num / den < 0.3;
}

/** Rolling mean of the last n values; a null (a gap) restarts it and stays null, so the mean breaks too. */
function rolling(ys: Array<number | null>, n: number): Array<number | null> {
  const out: Array<number | null> = new Array(ys.length);
  const win: number[] = [];
  let sum = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (y === null || y === undefined) {
      win.length = 0;
      sum = 0;
      out[i] = null;
      continue;
    }
    win.push(y);
    sum += y;
    if (win.length > n) sum -= win.shift()!;
    out[i] = sum / win.length;
  }
  return out;
}

/** Seconds: the data's span, widened to at least a minute around its middle; the last minute when empty. */
export function timeRange(lo: number | null, hi: number | null): uPlot.Range.MinMax {
  if (lo === null || hi === null || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    const now = Date.now() / 1000;
    return [now - 60, now];
  }
  if (hi - lo >= 60) return [lo, hi];
  const mid = (lo + hi) / 2;
  return [mid - 30, mid + 30];
}

/** Records per second of event time over the last ~10 s of the cumulative curve. */
function eventRate(points: Point[]): number | undefined {
  const last = points[points.length - 1];
  if (!last) return undefined;
  let i = points.length - 1;
  while (i > 0 && last[0] - points[i]![0] < 10_000) i--;
  const first = points[i]!;
  return last[0] > first[0] ? ((last[1] - first[1]) * 1000) / (last[0] - first[0]) : undefined;
}

function pad(lo: number, hi: number, fromZero: boolean): uPlot.Range.MinMax {
  if (fromZero) return [0, hi > 0 ? hi * 1.08 : 1];
  const span = hi - lo || Math.abs(hi) * 0.1 || 1;
  return [lo - span * 0.12, hi + span * 0.12];
}

function tick(v: number): string {
  return Math.abs(v) >= 10_000 ? `${+(v / 1000).toFixed(1)}k` : String(+v.toFixed(4));
}

/** A `line` with `fields.group` draws a line per group (./web-groups.ts); without, the one line here. */
export const lineRenderer: WebPanelType = {
  name: 'line',
  create: (spec) => (spec.fields.group === undefined ? timeSeriesPanel(spec) : groupLinePanel(spec, timeRange)),
};
