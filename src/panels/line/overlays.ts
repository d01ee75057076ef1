import uPlot from 'uplot';
import { alpha, COLORS, color } from '../../web/charts/theme.ts';
import { fmtNum } from '../../web/dom.ts';
import type { Mark } from './options.ts';

export interface Zone {
  from: number;
  to: number;
  label?: string;
  color?: string;
}

const font = (px: number, weight = 500) => `${weight} ${Math.round(px * uPlot.pxRatio)}px system-ui, sans-serif`;

/**
 * Value bands behind the data (sentiment: negative / neutral / positive), labelled at the right edge, at
 * the band's top, or at its bottom when the average line (`avoid`, a value) would run through the label.
 */
export function drawZones(u: uPlot, zones: Zone[], avoid?: number): void {
  if (zones.length === 0) return;
  const { ctx, bbox } = u;
  ctx.save();
  for (const z of zones) {
    const top = Math.max(bbox.top, u.valToPos(z.to, 'y', true));
    const bottom = Math.min(bbox.top + bbox.height, u.valToPos(z.from, 'y', true));
    if (bottom <= top) continue;
    const c = color(z.color, COLORS.muted);
    ctx.fillStyle = alpha(c, 0.1);
    ctx.fillRect(bbox.left, top, bbox.width, bottom - top);
    if (z.label) {
      ctx.fillStyle = alpha(c, 0.85);
      ctx.font = font(11, 600);
      ctx.textAlign = 'right';
      const r = uPlot.pxRatio;
      const line = avoid === undefined ? undefined : u.valToPos(avoid, 'y', true);
      // A label's box: 4 to 17 px inside the band's top (or bottom) edge, and the line's 2 px either side.
      // To the bottom only when the line crosses the top box and not the bottom one (a narrow band).
      const crosses = (from: number, to: number) => line !== undefined && line > from - 2 * r && line < to + 2 * r;
      const low = crosses(top + 4 * r, top + 17 * r) && !crosses(bottom - 17 * r, bottom - 4 * r);
      ctx.textBaseline = low ? 'bottom' : 'top';
      ctx.fillText(z.label, bbox.left + bbox.width - 6 * r, low ? bottom - 4 * r : top + 4 * r);
    }
  }
  ctx.restore();
}

/**
 * Start/end events over the line (smoker stalls): the span shaded red, a dot where it began. A span
 * still open runs to the newest point, so an ongoing stall is visible as it grows.
 */
export function drawMarks(u: uPlot, marks: Mark[], average: number | undefined, label: string): void {
  const { ctx, bbox } = u;
  const r = uPlot.pxRatio;
  ctx.save();
  const xs = u.data[0];
  const lastX = xs[xs.length - 1];
  for (const m of marks) {
    const x0 = u.valToPos(m.start / 1000, 'x', true);
    const endX = m.end !== undefined ? m.end / 1000 : lastX;
    const x1 = endX === undefined ? x0 : u.valToPos(endX, 'x', true);
    const left = Math.max(bbox.left, x0);
    const right = Math.min(bbox.left + bbox.width, Math.max(x1, x0 + 2 * r));
    if (right > left) {
      ctx.fillStyle = alpha(COLORS.bad, m.end === undefined ? 0.22 : 0.14);
      ctx.fillRect(left, bbox.top, right - left, bbox.height);
      ctx.fillStyle = alpha(COLORS.bad, 0.9);
      ctx.fillRect(left, bbox.top, Math.min(2 * r, right - left), bbox.height);
    }
    if (m.y !== undefined && x0 >= bbox.left && x0 <= bbox.left + bbox.width) {
      const y = u.valToPos(m.y, 'y', true);
      ctx.beginPath();
      ctx.arc(x0, y, 5 * r, 0, Math.PI * 2);
      ctx.fillStyle = COLORS.bad;
      ctx.fill();
      ctx.lineWidth = 2 * r;
      ctx.strokeStyle = COLORS.text;
      ctx.stroke();
      ctx.fillStyle = COLORS.bad;
      ctx.font = font(12, 700);
      ctx.textAlign = 'left';
      ctx.textBaseline = 'bottom';
      ctx.fillText(m.end === undefined ? `${label} (now)` : label, x0 + 8 * r, y - 8 * r);
    }
  }
  if (average !== undefined) {
    const y = u.valToPos(average, 'y', true);
    if (y >= bbox.top && y <= bbox.top + bbox.height) {
      ctx.strokeStyle = COLORS.bad;
      ctx.lineWidth = 1.5 * r;
      ctx.setLineDash([6 * r, 4 * r]);
      ctx.beginPath();
      ctx.moveTo(bbox.left, y);
      ctx.lineTo(bbox.left + bbox.width, y);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.font = font(11, 700);
      ctx.textAlign = 'left';
      ctx.textBaseline = 'bottom';
      const text = `average ${fmtNum(average)}`;
      const w = ctx.measureText(text).width;
      ctx.fillStyle = alpha(COLORS.panel, 0.85);
      ctx.fillRect(bbox.left + 4 * r, y - 17 * r, w + 8 * r, 15 * r);
      ctx.fillStyle = '#ff8c87';
      ctx.fillText(text, bbox.left + 8 * r, y - 3 * r);
    }
  }
  ctx.restore();
}
