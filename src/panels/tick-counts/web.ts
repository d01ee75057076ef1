import uPlot from 'uplot';
import type { PanelSpec } from '../../core/app.ts';
import type { PanelData, PanelDelta } from '../../server/protocol.ts';
import { card, type PanelView } from '../../web/charts/card.ts';
import { alpha, autosize, axis, boxSize, color, INT_INCRS, PALETTE } from '../../web/charts/theme.ts';
import { fmtInt, h } from '../../web/dom.ts';
import type { WebPanelType } from '../web.ts';
import type { TickCountsData, TickCountsOptions } from './options.ts';

/**
 * `tick-counts` in the browser: one uPlot over the ticks. Stacked: each series is drawn as the sum of it
 * and the ones before, filled, the biggest sum first so the smaller fills sit on top of it.
 */
function tickCountsPanel(spec: PanelSpec): PanelView {
  const o = (spec.options ?? {}) as Partial<TickCountsOptions>;
  const series = o.series ?? [];
  const colors = series.map((s, i) => color(s.color, PALETTE[i % PALETTE.length]!));
  const c = card(spec);
  // Which colour is which count (two lines, blue and orange, said nothing of which was contacts), with the
  // latest tick's values, as the lines panel's legend.
  const legend = h('div', { class: 'lines-legend' });
  c.body.parentElement?.insertBefore(legend, c.body);
  let chart: uPlot | undefined;
  // Drawing order: stacked areas from the top of the stack down; lines in their given order.
  const order = o.stacked ? series.map((_, i) => series.length - 1 - i) : series.map((_, i) => i);

  const aligned = (d: TickCountsData): uPlot.AlignedData => {
    const sums = d.counts.map((row) => [...row]);
    if (o.stacked) for (let i = 1; i < sums.length; i++) sums[i] = sums[i]!.map((v, k) => v + sums[i - 1]![k]!);
    return [d.xs, ...order.map((i) => sums[i]!)] as uPlot.AlignedData;
  };

  const build = (data: uPlot.AlignedData) => {
    chart = new uPlot(
      {
        ...boxSize(c.body),
        series: [
          { label: o.xLabel ?? 'tick' },
          ...order.map((i) => ({
            label: series[i]!.label,
            stroke: colors[i]!,
            width: o.stacked ? 1 : 2,
            ...(o.stacked ? { fill: alpha(colors[i]!, 0.85) } : {}),
            points: { show: false },
          })),
        ],
        scales: { x: { time: false }, y: { range: (_u, _lo, hi) => [0, Math.max(1, hi) * 1.05] } },
        axes: [
          // Ticks are whole numbers: no 2.5 on the axis.
          axis(o.xLabel ?? 'tick', { incrs: [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000] }),
          // Counts too: steps of 2.5 showed as 3, 5, 8 once rounded.
          axis(o.yLabel, { size: 56, incrs: INT_INCRS, values: (_u, t) => t.map((v) => fmtInt(v)) }),
        ],
        legend: { show: false },
        cursor: { points: { show: false }, drag: { x: false, y: false } },
      },
      data,
      c.body,
    );
  };

  const unobserve = autosize(c.body, () => chart);
  const show = (p: PanelData | PanelDelta) => {
    if (p.kind !== 'module') return;
    const d = p.data as TickCountsData;
    c.setEmpty(d.xs.length === 0);
    const data = aligned(d);
    if (!chart) build(data);
    else chart.setData(data);
    const last = d.xs.length - 1;
    c.summary.textContent = last < 0 ? '' : `tick ${d.xs[last]}`;
    legend.replaceChildren(
      ...series.map((s, i) =>
        h(
          'span',
          { class: 'lines-key', 'data-label': s.label },
          h('span', { class: 'lines-swatch', style: `background:${colors[i]}` }),
          last < 0 ? s.label : `${s.label}: ${fmtInt(d.counts[i]![last]!)}`,
        ),
      ),
    );
    c.el.dataset.ticks = String(d.xs.length);
    c.el.dataset.totals = d.totals.join(' ');
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

export const tickCountsRenderer: WebPanelType = { name: 'tick-counts', create: tickCountsPanel };
