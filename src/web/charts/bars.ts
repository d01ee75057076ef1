import uPlot from 'uplot';
import type { PanelSpec } from '../../core/app.ts';
import type { PanelData, PanelDelta } from '../../server/protocol.ts';
import { fmtCompact, fmtInt, fmtNum } from '../dom.ts';
import { card, isString, option, type PanelView } from './card.ts';
import { alpha, autosize, axis, boxSize, COLORS, PALETTE } from './theme.ts';

const bars = uPlot.paths.bars!;
const px = (n: number) => n * uPlot.pxRatio;
/** Counts tick at whole numbers only (no "2.5 messages"). */
const INT_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8, 1e9];

/**
 * `bar` panels (counts by name) on uPlot's bar path builder: one colour per name that stays with the
 * name as the ranking changes, and the count written on each bar as the seed's chart did.
 */
export function barPanel(spec: PanelSpec): PanelView {
  const c = card(spec);
  const colors = new Map<string, string>();
  const colorOf = (name: string) => {
    if (!colors.has(name)) colors.set(name, PALETTE[colors.size % PALETTE.length]!);
    return colors.get(name)!;
  };
  let names: string[] = [];
  let chart: uPlot | undefined;
  let data: uPlot.AlignedData = [[], []];
  let slant = false;
  const rects: Array<[number, number, number]> = [];
  // Names slant when they would not fit under their bars (a phone, many categories).
  const labelPx = () => Math.max(0, ...names.map((n) => n.length)) * 7 + 14;
  const slanted = () => labelPx() > c.body.clientWidth / Math.max(1, names.length);

  const build = () => {
    chart?.destroy();
    slant = slanted();
    chart = new uPlot(
      {
        ...boxSize(c.body),
        series: [
          {},
          {
            label: 'count',
            width: 0,
            fill: PALETTE[0],
            paths: bars({
              size: [0.68, 96],
              radius: 0.1,
              disp: { fill: { unit: 3, values: () => names.map(colorOf) as never } },
              each: (_u, _s, i, left, top, width) => {
                rects[i] = [left + width / 2, top, i];
              },
            }),
            points: { show: false },
          },
        ],
        scales: {
          x: { time: false, range: () => [-0.5, Math.max(0.5, names.length - 0.5)] },
          y: { range: (_u, _lo, hi) => [0, Math.max(1, hi * 1.15)] },
        },
        axes: [
          axis(option(spec, 'xLabel', isString), {
            splits: () => names.map((_, i) => i),
            values: () => names,
            grid: { show: false },
            rotate: slant ? -40 : 0,
            size: slant ? Math.min(110, 16 + labelPx() * 0.68) : 30,
          }),
          axis(option(spec, 'yLabel', isString) ?? 'count', {
            size: 52,
            incrs: INT_INCRS,
            values: (_u, t) => t.map(fmtCompact),
          }),
        ],
        legend: { show: false },
        cursor: { show: false },
        hooks: {
          draw: [
            (u) => {
              const { ctx } = u;
              ctx.save();
              ctx.font = `600 ${Math.round(px(12))}px system-ui, sans-serif`;
              ctx.fillStyle = COLORS.text;
              ctx.textAlign = 'center';
              ctx.textBaseline = 'bottom';
              const ys = u.data[1]!;
              for (const r of rects) if (r && ys[r[2]] != null) ctx.fillText(fmtInt(ys[r[2]]!), r[0], r[1] - px(4));
              ctx.restore();
            },
          ],
        },
      },
      data,
      c.body,
    );
  };
  const unobserve = autosize(c.body, () => {
    if (chart && slanted() !== slant) build();
    return chart;
  });

  const show = (d: PanelData | PanelDelta) => {
    if (d.kind !== 'counts') return;
    const changedNames = d.entries.length !== names.length || d.entries.some(([n], i) => n !== names[i]);
    names = d.entries.map(([n]) => n);
    rects.length = 0;
    data = [names.map((_, i) => i), d.entries.map(([, v]) => v)];
    c.setEmpty(names.length === 0);
    // Axis splits and colours are read at build time; a new name or a new order rebuilds the chart.
    if (!chart || changedNames) build();
    else chart.setData(data);
    c.summary.textContent = `${fmtInt(d.total)} total`;
  };

  return { el: c.el, apply: show, delta: show, destroy };

  function destroy(): void {
    unobserve();
    chart?.destroy();
  }
}

/** `histogram` panels: equal-width bins from the server, with mean and median (or any marks) as dashed lines. */
export function histogramPanel(spec: PanelSpec): PanelView {
  const c = card(spec);
  const unit = option(spec, 'unit', isString);
  const field = (spec.fields.y ?? spec.fields.x ?? 'value').replace(/\.histogram$/, '');
  const xLabel = option(spec, 'xLabel', isString) ?? `${field}${unit ? ` (${unit})` : ''}`;
  const markColors = ['#ff7b72', '#4ECDC4', '#FFD166'];
  let marks: Array<{ label: string; value: number }> = [];
  let chart: uPlot | undefined;

  const build = (data: uPlot.AlignedData) => {
    chart = new uPlot(
      {
        ...boxSize(c.body),
        series: [
          {},
          {
            label: 'count',
            width: 0,
            fill: alpha('#a371f7', 0.75),
            paths: bars({ size: [0.94], radius: 0.06 }),
            points: { show: false },
          },
        ],
        scales: {
          x: { time: false, range: (u) => edges(u) },
          y: { range: (_u, _lo, hi) => [0, Math.max(1, hi * 1.12)] },
        },
        axes: [
          axis(xLabel, { space: 40, incrs: shift ? INT_INCRS : undefined }),
          axis(option(spec, 'yLabel', isString) ?? 'count', {
            size: 52,
            incrs: INT_INCRS,
            values: (_u, t) => t.map(fmtCompact),
          }),
        ],
        legend: { show: false },
        cursor: { show: false },
        hooks: { draw: [(u) => drawVerticalMarks(u, marks, markColors, unit)] },
      },
      data,
      c.body,
    );
  };
  const unobserve = autosize(c.body, () => chart);
  let lastBins: Array<[number, number, number]> = [];
  // Integer data (lengths) comes in integer-wide bins [lo, hi): the bar for 36 is drawn centred on 36,
  // so the value axis, the bars and the mean/median lines agree.
  let shift = 0;
  const edges = (_u: uPlot): uPlot.Range.MinMax => {
    const lo = lastBins[0]?.[0] ?? 0;
    const hi = lastBins[lastBins.length - 1]?.[1] ?? 1;
    return [lo - shift, hi - shift];
  };

  const show = (d: PanelData | PanelDelta) => {
    if (d.kind !== 'histogram') return;
    lastBins = d.bins;
    marks = [...d.marks].sort((a, b) => a.value - b.value);
    shift = d.bins.every(([lo, hi]) => Number.isInteger(lo) && Number.isInteger(hi)) ? 0.5 : 0;
    c.setEmpty(d.bins.length === 0);
    const data: uPlot.AlignedData = [d.bins.map(([lo, hi]) => (lo + hi) / 2 - shift), d.bins.map(([, , n]) => n)];
    if (!chart) build(data);
    else chart.setData(data);
    c.summary.textContent = [
      `${fmtInt(d.total)} values`,
      ...marks.map((m) => `${m.label} ${fmtNum(m.value, 1)}${unit ? ` ${unit}` : ''}`),
    ].join(' · ');
  };

  return { el: c.el, apply: show, delta: show, destroy };

  function destroy(): void {
    unobserve();
    chart?.destroy();
  }
}

function drawVerticalMarks(
  u: uPlot,
  marks: Array<{ label: string; value: number }>,
  colors: string[],
  unit?: string,
): void {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.font = `700 ${Math.round(px(11))}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  // Sorted by value: the lowest mark is labelled on its left, the others on their right, one row each,
  // so a mean and a median a hair apart stay readable.
  marks.forEach((m, i) => {
    const x = u.valToPos(m.value, 'x', true);
    if (x < bbox.left || x > bbox.left + bbox.width) return;
    const col = colors[m.label === 'median' ? 1 : m.label === 'mean' ? 0 : 2]!;
    ctx.strokeStyle = col;
    ctx.lineWidth = px(2);
    ctx.setLineDash([px(6), px(4)]);
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.setLineDash([]);
    const text = `${m.label} ${fmtNum(m.value, 1)}${unit ? ` ${unit}` : ''}`;
    const w = ctx.measureText(text).width;
    const left = i === 0 && marks.length > 1 ? x - px(6) - w : x + px(6);
    const y = bbox.top + px(4 + 18 * i);
    ctx.fillStyle = alpha(COLORS.panel, 0.88);
    ctx.fillRect(left - px(4), y - px(2), w + px(8), px(16));
    ctx.fillStyle = col;
    ctx.fillText(text, left, y);
  });
  ctx.restore();
}
