import uPlot from 'uplot';
import type { PanelSpec } from '../../core/app.ts';
import type { PanelData, PanelDelta } from '../../server/protocol.ts';
import { card, type PanelView } from '../../web/charts/card.ts';
import { alpha, autosize, axis, boxSize, COLORS, color } from '../../web/charts/theme.ts';
import { fmtInt, fmtNum, h } from '../../web/dom.ts';
import type { WebPanelType } from '../web.ts';
import type { DayBarsData, DayBarsMark, DayBarsOptions } from './options.ts';

const px = (n: number) => n * uPlot.pxRatio;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const dayLabel = (ms: number) => {
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
};
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * `day-bars` in the browser: a slot per day (missing days stay empty slots), bars coloured by their
 * group, a line on a second axis (null: a gap in the line), dashed threshold lines, and marked days
 * (an anomaly) as a triangle over the bar with the reason on hover. The server checked the options.
 */
function dayBarsPanel(spec: PanelSpec): PanelView {
  const o = (spec.options ?? {}) as Partial<DayBarsOptions>;
  const c = card(spec, 'wide');
  const tip = h('div', { class: 'day-tip', hidden: true });
  c.body.parentElement?.appendChild(tip);
  // What each bar colour means (calorie bands): under the chart, outside the box the chart sizes itself to.
  const keyed = Object.entries(o.legend ?? {});
  if (keyed.length > 0) {
    c.body.parentElement?.appendChild(
      h(
        'div',
        { class: 'chart-legend' },
        ...keyed.map(([group, label]) => {
          const swatch = h('i');
          swatch.style.background = color(o.colors?.[group] ?? o.color, COLORS.accent); // CSSOM: the CSP allows it
          return h('span', { class: 'chart-key' }, swatch, label);
        }),
      ),
    );
  }
  const barColor = (group: string | null) =>
    color(group !== null ? (o.colors?.[group] ?? o.color) : o.color, COLORS.accent);
  const lineColor = color(o.line?.color, COLORS.accent);
  const hasBars = spec.fields.y !== undefined;
  const lineScale = !hasBars || o.line?.axis === 'left' ? 'y' : 'y2';
  let d: DayBarsData = { step: 86_400_000, rows: [], marks: [], total: 0 };
  // Slots: every step from the first day to the last, the data's rows where they are.
  let xs: number[] = [];
  let slotOf = new Map<number, number>();
  let groups: Array<string | null> = [];
  let marksAt = new Map<number, DayBarsMark[]>();
  let chart: uPlot | undefined;

  const aligned = (): uPlot.AlignedData => {
    const first = d.rows[0]?.[0];
    const last = d.rows[d.rows.length - 1]?.[0];
    xs = [];
    if (first !== undefined && last !== undefined) for (let x = first; x <= last; x += d.step) xs.push(x);
    slotOf = new Map(xs.map((x, i) => [x, i]));
    const bars: Array<number | null> = xs.map(() => null);
    const line: Array<number | null> = xs.map(() => null);
    groups = xs.map(() => null);
    for (const [x, y, l, g] of d.rows) {
      const i = slotOf.get(x);
      if (i === undefined) continue;
      bars[i] = y;
      line[i] = l;
      groups[i] = g;
    }
    marksAt = new Map();
    for (const m of d.marks) marksAt.set(m.x, [...(marksAt.get(m.x) ?? []), m]);
    const data: Array<Array<number | null>> = [xs.map((x) => x / 1000)];
    if (hasBars) data.push(bars);
    if (o.line) data.push(line);
    return data as uPlot.AlignedData;
  };

  const build = (data: uPlot.AlignedData) => {
    chart?.destroy();
    const series: uPlot.Series[] = [{}];
    if (hasBars) {
      series.push({
        label: spec.fields.y,
        scale: 'y',
        width: 0,
        fill: barColor(null),
        paths: uPlot.paths.bars!({
          size: [0.8, 40],
          radius: 0.1,
          disp: { fill: { unit: 3, values: () => groups.map(barColor) as never } },
        }),
        points: { show: false },
      });
    }
    if (o.line) {
      series.push({
        label: o.line.label ?? o.line.field,
        scale: lineScale,
        stroke: lineColor,
        width: 2,
        spanGaps: false,
        points: { show: true, size: 5, fill: lineColor, stroke: lineColor },
      });
    }
    const axes: uPlot.Axis[] = [
      // Ticks on whole days (or weeks), labelled with the date.
      axis(undefined, {
        space: 60,
        incrs: [1, 2, 7, 14, 28, 56, 91, 182, 364].map((n) => (n * d.step) / 1000),
        splits: (_u, _ai, min, max, incr) => {
          const out: number[] = [];
          const first = xs[0] !== undefined ? xs[0] / 1000 : min;
          for (let t = first; t <= max; t += incr) if (t >= min) out.push(t);
          return out;
        },
        values: (_u, ticks) => ticks.map((t) => dayLabel(t * 1000)),
      }),
      axis(o.yLabel ?? (hasBars ? spec.fields.y : o.line?.label), {
        scale: 'y',
        size: 56,
        values: (_u, t) => t.map((v) => fmtInt(v)),
      }),
    ];
    if (hasBars && o.line && lineScale === 'y2') {
      axes.push(
        axis(o.line.label ?? o.line.field, {
          scale: 'y2',
          side: 1,
          size: 50,
          grid: { show: false },
          stroke: lineColor,
        }),
      );
    }
    chart = new uPlot(
      {
        ...boxSize(c.body),
        series,
        scales: {
          x: {
            time: false,
            range: () => {
              // Seconds, as the data: half a slot beyond the first and last day, so their bars fit.
              const half = d.step / 2000;
              return [(xs[0] ?? 0) / 1000 - half, (xs[xs.length - 1] ?? 1000) / 1000 + half];
            },
          },
          y: {
            range: (_u, lo, hi) =>
              hasBars
                ? [0, Math.max(1, hi, ...(o.thresholds ?? []).map((t) => t.value)) * 1.12]
                : [lo * 0.95, hi * 1.05],
          },
          y2: { range: (_u, _lo, hi) => [0, Math.max(1, hi) * 1.15] },
        },
        axes,
        legend: { show: false },
        cursor: { points: { show: false }, drag: { x: false, y: false } },
        hooks: { draw: [drawOverlays], setCursor: [hover] },
      },
      data,
      c.body,
    );
  };

  /**
   * Each threshold's label at the left end of its line (the oldest days: the newest are the ones watched),
   * on a backing so bars do not hide it: above the line, or below it when that would cover the label of a
   * threshold just above (3000 and 2750 kcal).
   */
  function drawThresholdLabels(u: uPlot): void {
    const { ctx, bbox } = u;
    const labelled = (o.thresholds ?? [])
      .filter((t) => t.label)
      .map((t) => ({ label: t.label!, y: u.valToPos(t.value, 'y', true) }))
      .sort((a, b) => a.y - b.y);
    ctx.font = `600 ${Math.round(px(10))}px system-ui, sans-serif`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    const h = px(13);
    let taken = Number.NEGATIVE_INFINITY;
    for (const { label, y } of labelled) {
      let top = y - px(2) - h;
      if (top < taken) top = y + px(2);
      const w = ctx.measureText(label).width + px(8);
      const x = bbox.left + px(2);
      ctx.fillStyle = alpha(COLORS.panel, 0.85);
      ctx.fillRect(x, top, w, h);
      ctx.fillStyle = COLORS.muted;
      ctx.fillText(label, x + px(4), top + px(1.5));
      taken = top + h;
    }
  }

  function drawOverlays(u: uPlot): void {
    const { ctx, bbox } = u;
    ctx.save();
    for (const t of o.thresholds ?? []) {
      const y = u.valToPos(t.value, 'y', true);
      ctx.strokeStyle = alpha(COLORS.muted, 0.8);
      ctx.lineWidth = px(1);
      ctx.setLineDash([px(5), px(4)]);
      ctx.beginPath();
      ctx.moveTo(bbox.left, y);
      ctx.lineTo(bbox.left + bbox.width, y);
      ctx.stroke();
    }
    ctx.setLineDash([]);
    drawThresholdLabels(u);
    // A marked day: a triangle at the top of its slot and a thin line down to the bar.
    for (const [x, ms] of marksAt) {
      if (!slotOf.has(x)) continue;
      const cx = u.valToPos(x / 1000, 'x', true);
      const col = color(ms[0]!.color, COLORS.bad);
      ctx.strokeStyle = alpha(col, 0.6);
      ctx.lineWidth = px(1.5);
      ctx.beginPath();
      ctx.moveTo(cx, bbox.top + px(12));
      ctx.lineTo(cx, bbox.top + bbox.height);
      ctx.stroke();
      ctx.fillStyle = col;
      ctx.beginPath();
      ctx.moveTo(cx - px(7), bbox.top);
      ctx.lineTo(cx + px(7), bbox.top);
      ctx.lineTo(cx, bbox.top + px(12));
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
  }

  function hover(u: uPlot): void {
    const i = u.cursor.idx;
    if (i === null || i === undefined || xs[i] === undefined) {
      tip.hidden = true;
      return;
    }
    const x = xs[i]!;
    const row = d.rows.find((r) => r[0] === x);
    const lines = [o.step === 7 ? `week of ${isoDay(x)}` : isoDay(x)];
    if (!row) lines.push('no data');
    else {
      const [, y, l, g, details] = row;
      if (hasBars)
        lines.push(
          `${spec.fields.y}: ${y === null ? '—' : fmtNum(y, 1)}${o.unit ? ` ${o.unit}` : ''}${g ? ` (${g})` : ''}`,
        );
      if (o.line) lines.push(`${o.line.label ?? o.line.field}: ${l === null ? '—' : fmtNum(l, 1)}`);
      for (const [k, v] of Object.entries(details))
        lines.push(`${k}: ${typeof v === 'number' ? fmtNum(v, 1) : String(v ?? '—')}`);
    }
    for (const m of marksAt.get(x) ?? []) lines.push(`⚠ ${m.label}`);
    tip.textContent = lines.join('\n');
    tip.hidden = false;
    const left = u.valToPos(x / 1000, 'x') + u.over.offsetLeft;
    tip.style.left = `${Math.max(0, Math.min(left + 12, c.body.clientWidth - 260))}px`;
    tip.style.top = `${(u.cursor.top ?? 0) + 8}px`;
  }

  const unobserve = autosize(c.body, () => chart);
  c.body.addEventListener('mouseleave', () => {
    tip.hidden = true;
  });

  const show = (p: PanelData | PanelDelta) => {
    if (p.kind !== 'module') return;
    d = p.data as DayBarsData;
    const data = aligned();
    c.setEmpty(d.rows.length === 0);
    if (!chart) build(data);
    else chart.setData(data);
    // What a test (or a curious reader) can check without reading pixels.
    const shown = new Set(d.rows.filter((r) => r[1] !== null).map((r) => barColor(r[3])));
    c.el.dataset.colors = [...shown].sort().join(' ');
    c.el.dataset.marks = String([...marksAt.keys()].filter((x) => slotOf.has(x)).length);
    c.el.dataset.slots = String(xs.length);
    const lastRow = d.rows[d.rows.length - 1];
    c.summary.textContent = lastRow
      ? `${d.rows.length} of ${xs.length} ${o.step === 7 ? 'weeks' : 'days'} with data · newest ${isoDay(lastRow[0])}` +
        (d.marks.length ? ` · ${d.marks.length} marked` : '')
      : '';
  };

  return {
    el: c.el,
    apply: show,
    delta: show,
    destroy() {
      unobserve();
      chart?.destroy();
    },
  };
}

export const dayBarsRenderer: WebPanelType = { name: 'day-bars', create: dayBarsPanel };
