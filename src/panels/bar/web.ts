import uPlot from 'uplot';
import type { PanelSpec } from '../../core/app.ts';
import type { PanelData } from '../../server/protocol.ts';
import { card, isString, option, type PanelView } from '../../web/charts/card.ts';
import { autosize, axis, boxSize, COLORS, countAxis, PALETTE, px } from '../../web/charts/theme.ts';
import { fmtInt } from '../../web/dom.ts';
import { dataOf, type WebPanelType } from '../web.ts';
import type { CountsData } from './options.ts';

const bars = uPlot.paths.bars!;
/** Room a turned label needs across (its line height and a little air). */
const LINE_PX = 16;
/** Longest name written under a bar; the full name is in the data. */
const SHORT = 14;
const short = (name: string) => (name.length > SHORT ? `${name.slice(0, SHORT - 1)}…` : name);

/**
 * `bar` panels (counts by name) on uPlot's bar path builder: one colour per name that stays with the
 * name as the ranking changes, and the count written on each bar as the seed's chart did.
 */
function barPanel(spec: PanelSpec): PanelView {
  const c = card(spec);
  const colors = new Map<string, string>();
  const colorOf = (name: string) => {
    if (!colors.has(name)) colors.set(name, PALETTE[colors.size % PALETTE.length]!);
    return colors.get(name)!;
  };
  let names: string[] = [];
  let chart: uPlot | undefined;
  let data: uPlot.AlignedData = [[], []];
  let slant = 0;
  const rects: Array<[number, number, number]> = [];
  // Names turn when they would not fit under their bars (a phone, many categories): at -40° they still
  // overlapped on a 390 px screen, so the angle steepens as the room per bar shrinks, long names are
  // shortened, and when even upright labels would touch only every k-th is written.
  const shown = () => names.map(short);
  const labelPx = () => Math.max(0, ...shown().map((n) => n.length)) * 7 + 14;
  const perBar = () => (c.body.clientWidth - 60) / Math.max(1, names.length);
  const angle = () => (labelPx() <= perBar() ? 0 : perBar() >= 40 ? 40 : perBar() >= 24 ? 60 : 90);
  const every = () => Math.max(1, Math.ceil(LINE_PX / Math.max(1, perBar())));
  const slanted = angle;

  const build = () => {
    chart?.destroy();
    slant = slanted();
    const step = every();
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
            values: () => shown().map((n, i) => (i % step === 0 ? n : '')),
            grid: { show: false },
            rotate: -slant,
            size: slant ? Math.min(120, 16 + labelPx() * Math.sin((slant * Math.PI) / 180)) : 30,
          }),
          countAxis(option(spec, 'yLabel', isString)),
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
              // Counts over the bars only where each fits its bar's room: on a phone, 20 bars' counts ran
              // into each other ("3535", "3333"); the axis still gives them.
              const drawn = rects.filter((r) => r && ys[r[2]] != null);
              const room = drawn.length > 1 ? Math.abs(drawn[1]![0] - drawn[0]![0]) : Number.POSITIVE_INFINITY;
              const widest = Math.max(0, ...drawn.map((r) => ctx.measureText(fmtInt(ys[r[2]]!)).width));
              if (widest + px(4) <= room) for (const r of drawn) ctx.fillText(fmtInt(ys[r[2]]!), r[0], r[1] - px(4));
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

  const show = (raw: PanelData) => {
    const d = dataOf<CountsData>(raw, 'counts');
    if (!d) return;
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

export const barRenderer: WebPanelType = { name: 'bar', create: barPanel };
