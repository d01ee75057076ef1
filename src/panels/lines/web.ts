import uPlot from 'uplot';
import type { PanelSpec } from '../../core/app.ts';
import type { PanelData, PanelDelta } from '../../server/protocol.ts';
import { card, type PanelView } from '../../web/charts/card.ts';
import { autosize, axis, boxSize, COLORS, color, PALETTE } from '../../web/charts/theme.ts';
import { fmtInt, fmtNum, h } from '../../web/dom.ts';
import type { WebPanelType } from '../web.ts';
import type { LinesData, LinesOptions } from './options.ts';

/** `lines` in the browser: one uPlot line per series over a numeric x, with a legend of the latest values. */
function linesPanel(spec: PanelSpec): PanelView {
  const o = (spec.options ?? {}) as Partial<LinesOptions>;
  const series = o.series ?? [];
  const c = card(spec, 'wide');
  const legend = h('div', { class: 'lines-legend' });
  c.body.parentElement?.insertBefore(legend, c.body);
  const colors = series.map((s, i) => color(s.color, PALETTE[i % PALETTE.length] ?? COLORS.accent));
  const fmt = (v: number) => (o.format === 'percent' ? `${fmtNum(v * 100, 1)}%` : fmtNum(v));
  let chart: uPlot | undefined;

  const build = (data: uPlot.AlignedData) => {
    chart?.destroy();
    chart = new uPlot(
      {
        ...boxSize(c.body),
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label ?? s.field,
            stroke: colors[i],
            width: 2,
            points: { show: false },
          })),
        ],
        scales: {
          x: { time: false },
          y: {
            range: (_u, lo, hi) => [o.min ?? lo, o.max ?? (hi === lo ? hi + 1 : hi)] as uPlot.Range.MinMax,
          },
        },
        axes: [
          axis(o.xLabel, { values: (_u, t) => t.map((v) => fmtInt(v)) }),
          axis(o.yLabel, { size: 56, values: (_u, t) => t.map(fmt) }),
        ],
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
      },
      data,
      c.body,
    );
  };
  const unobserve = autosize(c.body, () => chart);

  const show = (p: PanelData | PanelDelta) => {
    if (p.kind !== 'module') return;
    const d = p.data as LinesData;
    c.setEmpty(d.rows.length === 0);
    const data = [d.rows.map((r) => r[0]), ...series.map((_, i) => d.rows.map((r) => r[i + 1] ?? null))];
    if (!chart) build(data as uPlot.AlignedData);
    else chart.setData(data as uPlot.AlignedData);
    const last = d.rows[d.rows.length - 1];
    legend.replaceChildren(
      ...series.map((s, i) => {
        const v = last?.[i + 1];
        const first = d.rows.find((r) => typeof r[i + 1] === 'number')?.[i + 1];
        // The first and latest values, for a reader (or a test) who wants the trend without pixels.
        return h(
          'span',
          {
            class: 'lines-key',
            'data-field': s.field,
            'data-first': typeof first === 'number' ? String(first) : '',
            'data-value': typeof v === 'number' ? String(v) : '',
          },
          h('span', { class: 'lines-swatch', style: `background:${colors[i]}` }),
          `${s.label ?? s.field}: ${typeof v === 'number' ? fmt(v) : '–'}`,
        );
      }),
    );
    c.el.dataset.points = String(d.rows.length);
    c.summary.textContent = last ? `${o.xLabel ?? 'x'} ${fmtInt(last[0])}` : '';
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

export const linesRenderer: WebPanelType = { name: 'lines', create: linesPanel };
