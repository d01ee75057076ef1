import uPlot from 'uplot';
import type { PanelSpec } from '../../core/app.ts';
import type { PanelData } from '../../server/protocol.ts';
import { card, isNumber, isString, option, type PanelView } from '../../web/charts/card.ts';
import { autosize, axis, boxSize, COLORS, color, PALETTE, timeAxis } from '../../web/charts/theme.ts';
import { fmtInt, fmtNum, h } from '../../web/dom.ts';
import { dataOf } from '../web.ts';
import { alignGroups, thin } from './align.ts';
import type { GroupSeriesData, LineOptions, Point } from './options.ts';

/**
 * The palette in the order groups take it: neighbours in PALETTE are near in hue (two teals, a blue), and
 * lines side by side must be told apart at a glance. Its red, the average's dashed line's, comes last.
 */
const GROUP_ORDER = [1, 4, 5, 2, 6, 3, 7, 0];

import { drawMarks, drawZones, type Zone } from './overlays.ts';

/** As a single line: seconds without a point before a group's line breaks. */
const MIN_GAP_S = 10;
/** Points kept per group in the browser; older ones thinned, as on the server. */
const CAP = 2000;

/**
 * A `line` with `fields.group`: one line per group value over event time, coloured by `colors` (else the
 * palette, in order of appearance), with a legend of each group's latest value. `zones`, `min`/`max`,
 * `unit`, `yLabel` and `average` work as on a single line.
 */
export function groupLinePanel(
  spec: PanelSpec,
  timeRange: (lo: number | null, hi: number | null) => uPlot.Range.MinMax,
): PanelView {
  const c = card(spec);
  const legend = h('div', { class: 'lines-legend' });
  c.body.parentElement?.insertBefore(legend, c.body);
  const unit = option(spec, 'unit', isString) ?? '';
  const min = option(spec, 'min', isNumber);
  const max = option(spec, 'max', isNumber);
  const colors = (spec.options?.colors ?? {}) as NonNullable<LineOptions['colors']>;
  const zones = (Array.isArray(spec.options?.zones) ? spec.options.zones : []) as Zone[];
  const yLabel = option(spec, 'yLabel', isString) ?? `${spec.fields.y ?? 'value'}${unit ? ` (${unit})` : ''}`;
  const maxGroups = option(spec, 'maxGroups', isNumber) ?? 8;

  const lines = new Map<string, Point[]>();
  let average: number | undefined;
  let total = 0;
  let others: GroupSeriesData['others'];
  let chart: uPlot | undefined;
  let drawn = '';

  const colorOf = (name: string, i: number) =>
    color(colors[name], PALETTE[GROUP_ORDER[i % GROUP_ORDER.length]!] ?? COLORS.accent);

  const data = (): uPlot.AlignedData => {
    const { xs, ys } = alignGroups([...lines.values()], MIN_GAP_S);
    return [xs, ...ys] as uPlot.AlignedData;
  };

  const build = () => {
    chart?.destroy();
    const names = [...lines.keys()];
    chart = new uPlot(
      {
        ...boxSize(c.body),
        series: [
          {},
          ...names.map((name, i) => {
            const stroke = colorOf(name, i);
            return { label: name, stroke, width: 2, points: { size: 6, fill: stroke, stroke } };
          }),
        ],
        scales: {
          x: { time: true, range: (u) => timeRange(u.data[0][0] ?? null, u.data[0][u.data[0].length - 1] ?? null) },
          y: min !== undefined && max !== undefined ? { range: [min, max] } : { range: (_u, lo, hi) => pad(lo, hi) },
        },
        axes: [timeAxis('event time'), axis(yLabel, { size: 56 })],
        legend: { show: false },
        cursor: { points: { size: 7 } },
        hooks: {
          drawClear: [(u) => drawZones(u, zones, average)],
          draw: [(u) => drawMarks(u, [], average, '')],
        },
      },
      data(),
      c.body,
    );
  };
  const unobserve = autosize(c.body, () => chart);

  const render = () => {
    let points = 0;
    for (const p of lines.values()) points += p.length;
    c.setEmpty(points === 0);
    // A new group is a new series: the chart is built again, else only its data changes.
    const names = [...lines.keys()].join('\n');
    if (!chart || names !== drawn) {
      drawn = names;
      build();
    } else chart.setData(data());
    legend.replaceChildren(
      ...[...lines].map(([name, p], i) => {
        const last = p[p.length - 1]?.[1];
        return h(
          'span',
          { class: 'lines-key', 'data-group': name, 'data-value': last === undefined ? '' : String(last) },
          h('span', { class: 'lines-swatch', style: `background:${colorOf(name, i)}` }),
          `${name}: ${last === undefined ? '–' : `${fmtNum(last)}${unit ? ` ${unit}` : ''}`}`,
        );
      }),
    );
    c.el.dataset.points = String(points);
    const parts = [`${lines.size} ${lines.size === 1 ? 'group' : 'groups'}`, `${fmtInt(total)} values`];
    if (average !== undefined) parts.push(`avg ${fmtNum(average)}`);
    // Never silent: groups past maxGroups are not drawn, and the summary says how many records that was.
    if (others)
      parts.push(
        `${fmtInt(others.groups)} more ${others.groups === 1 ? 'group' : 'groups'} not drawn (${fmtInt(others.records)} records; maxGroups ${maxGroups})`,
      );
    c.summary.textContent = parts.join(' · ');
  };

  const take = (d: GroupSeriesData, delta: boolean) => {
    if (!delta) lines.clear();
    for (const g of d.groups) {
      const before = delta && !g.reset ? (lines.get(g.name) ?? []) : [];
      lines.set(g.name, thin(before.concat(g.points), CAP));
    }
    average = d.average;
    total = d.total;
    others = d.others;
    render();
  };

  return {
    el: c.el,
    apply(raw: PanelData) {
      const d = dataOf<GroupSeriesData>(raw, 'group-series');
      if (d) take(d, false);
    },
    delta(raw: PanelData) {
      const d = dataOf<GroupSeriesData>(raw, 'group-series');
      if (d) take(d, true);
    },
    destroy() {
      unobserve();
      chart?.destroy();
    },
  };
}

function pad(lo: number, hi: number): uPlot.Range.MinMax {
  const span = hi - lo || Math.abs(hi) * 0.1 || 1;
  return [lo - span * 0.12, hi + span * 0.12];
}
