import uPlot from 'uplot';
import type { PanelSpec } from '../../core/app.ts';
import type { PanelData } from '../../server/protocol.ts';
import { card, isString, option, type PanelView } from '../../web/charts/card.ts';
import { alpha, autosize, axis, boxSize, COLORS, countAxis, INT_INCRS, px } from '../../web/charts/theme.ts';
import { fmtInt, fmtNum } from '../../web/dom.ts';
import { dataOf, type WebPanelType } from '../web.ts';
import type { HistogramData } from './options.ts';

const bars = uPlot.paths.bars!;

/** `histogram` panels: equal-width bins from the server, with mean and median (or any marks) as dashed lines. */
function histogramPanel(spec: PanelSpec): PanelView {
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
          // Centred bins are tick-marked at their values (20, 30, … under the decades' bars), not at their
          // edges: uPlot's own steps from the range's start put 15, 25, … under the bars' sides.
          axis(xLabel, {
            space: 40,
            incrs: integral ? INT_INCRS : undefined,
            ...(shift > 0
              ? { splits: (u: uPlot) => (u.data[0] as number[]).filter((_, i) => i % tickEvery(u) === 0) }
              : {}),
          }),
          countAxis(option(spec, 'yLabel', isString)),
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
  /** Every nth bin gets a tick when they are narrower than 40 px apart. */
  const tickEvery = (u: uPlot) =>
    Math.max(1, Math.ceil((40 * lastBins.length) / Math.max(1, u.bbox.width / devicePixelRatio)));
  let lastBins: Array<[number, number, number]> = [];
  // A bin that holds one value (a length of 36 in [36, 37), the decade 20 in [20, 30)) is drawn centred
  // on it, so the value axis, the bars and the mean/median lines agree; wider bins span their range.
  let shift = 0;
  /** Bins with integer edges: the value axis ticks on integers too (no 22.5 between decades). */
  let integral = false;
  const edges = (_u: uPlot): uPlot.Range.MinMax => {
    const lo = lastBins[0]?.[0] ?? 0;
    const hi = lastBins[lastBins.length - 1]?.[1] ?? 1;
    return [lo - shift, hi - shift];
  };

  const show = (raw: PanelData) => {
    const d = dataOf<HistogramData>(raw, 'histogram');
    if (!d) return;
    lastBins = d.bins;
    marks = [...d.marks].sort((a, b) => a.value - b.value);
    integral = d.bins.every(([lo, hi]) => Number.isInteger(lo) && Number.isInteger(hi));
    shift = d.centred && d.bins.length > 0 ? (d.bins[0]![1] - d.bins[0]![0]) / 2 : 0;
    c.setEmpty(d.bins.length === 0);
    const data: uPlot.AlignedData = [d.bins.map(([lo, hi]) => (lo + hi) / 2 - shift), d.bins.map(([, , n]) => n)];
    if (!chart) build(data);
    else chart.setData(data);
    c.summary.textContent = [
      `${fmtInt(d.total)} ${d.total === 1 ? 'value' : 'values'}`,
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
  // so a mean and a median a hair apart stay readable. Marks at the same place (one value: mean = median)
  // share one line and one label instead of two labels drawn over each other.
  const groups: Array<{ x: number; value: number; labels: string[] }> = [];
  for (const m of marks) {
    const x = u.valToPos(m.value, 'x', true);
    const last = groups[groups.length - 1];
    if (last && Math.abs(last.x - x) < px(2)) last.labels.push(m.label);
    else groups.push({ x, value: m.value, labels: [m.label] });
  }
  groups.forEach((g, i) => {
    const { x } = g;
    if (x < bbox.left || x > bbox.left + bbox.width) return;
    const first = g.labels[0]!;
    const col = colors[first === 'median' ? 1 : first === 'mean' ? 0 : 2]!;
    ctx.strokeStyle = col;
    ctx.lineWidth = px(2);
    ctx.setLineDash([px(6), px(4)]);
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.setLineDash([]);
    const text = `${g.labels.join(' = ')} ${fmtNum(g.value, 1)}${unit ? ` ${unit}` : ''}`;
    const w = ctx.measureText(text).width;
    let left = i === 0 && groups.length > 1 ? x - px(6) - w : x + px(6);
    // Kept inside the plot: a label running off the edge was cut.
    left = Math.max(bbox.left + px(4), Math.min(left, bbox.left + bbox.width - w - px(4)));
    const y = bbox.top + px(4 + 18 * i);
    ctx.fillStyle = alpha(COLORS.panel, 0.88);
    ctx.fillRect(left - px(4), y - px(2), w + px(8), px(16));
    ctx.fillStyle = col;
    ctx.fillText(text, left, y);
  });
  ctx.restore();
}

export const histogramRenderer: WebPanelType = { name: 'histogram', create: histogramPanel };
