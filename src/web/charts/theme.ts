import uPlot from 'uplot';
import { fmtCompact } from '../dom.ts';

/** One palette for the whole page; the first four are the seed dashboard's bar colours. */
export const PALETTE = ['#FF6B6B', '#4ECDC4', '#45B7D1', '#96CEB4', '#FFD166', '#C792EA', '#F78C6C', '#82AAFF'];

export const COLORS = {
  text: '#e6edf3',
  muted: '#8b98a9',
  grid: 'rgba(139, 152, 169, 0.14)',
  axis: 'rgba(139, 152, 169, 0.35)',
  accent: '#58a6ff',
  good: '#3fb950',
  warn: '#d29922',
  bad: '#f85149',
  panel: '#121821',
};

/** Named colours an app may use in panel options (`color: 'green'`), mapped to this theme. */
const NAMED: Record<string, string> = {
  green: '#3fb950',
  yellow: '#d29922',
  red: '#f85149',
  blue: '#58a6ff',
  purple: '#a371f7',
  orange: '#f0883e',
  teal: '#4ECDC4',
  grey: '#8b98a9',
};

export function color(name: unknown, fallback: string): string {
  if (typeof name !== 'string') return fallback;
  return NAMED[name] ?? (/^#[0-9a-fA-F]{3,8}$/.test(name) ? name : fallback);
}

export function alpha(hex: string, a: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(hex);
  if (!m) return hex;
  return `rgba(${parseInt(m[1]!, 16)}, ${parseInt(m[2]!, 16)}, ${parseInt(m[3]!, 16)}, ${a})`;
}

export const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
export const LABEL_FONT = '600 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

export function axis(label: string | undefined, extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return {
    stroke: COLORS.muted,
    font: FONT,
    labelFont: LABEL_FONT,
    grid: { stroke: COLORS.grid, width: 1 },
    ticks: { stroke: COLORS.axis, width: 1, size: 4 },
    ...(label ? { label, labelSize: 18, labelGap: 2 } : {}),
    ...extra,
  };
}

/**
 * Keeps a chart the size of its box. uPlot needs pixel sizes; the grid decides them, so each chart
 * follows its container (window resize, one column on a phone).
 */
export function autosize(box: HTMLElement, chart: () => uPlot | undefined): () => void {
  const ro = new ResizeObserver(() => {
    const c = chart();
    const w = Math.floor(box.clientWidth);
    const h = Math.floor(box.clientHeight);
    if (c && w > 0 && h > 0 && (c.width !== w || c.height !== h)) c.setSize({ width: w, height: h });
  });
  ro.observe(box);
  return () => ro.disconnect();
}

export function boxSize(box: HTMLElement): { width: number; height: number } {
  return { width: Math.max(200, Math.floor(box.clientWidth)), height: Math.max(160, Math.floor(box.clientHeight)) };
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A time axis in 24-hour local time, as precise as the tick spacing needs (seconds only when ticks are
 * seconds apart), with the date under the first tick: replays carry their own day (2025-01-01).
 */
export function timeAxis(label?: string): uPlot.Axis {
  return axis(label, {
    space: 64,
    size: 40,
    ...(label ? { labelSize: 14, labelGap: 0 } : {}),
    values: (_u, splits, _ai, _space, incr) =>
      splits.map((s, i) => {
        const d = new Date(s * 1000);
        const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
        const text =
          incr < 60 ? `${hm}:${pad2(d.getSeconds())}` : incr < 86_400 ? hm : `${MONTHS[d.getMonth()]} ${d.getDate()}`;
        return i === 0 && incr < 86_400 ? `${text}\n${MONTHS[d.getMonth()]} ${d.getDate()}` : text;
      }),
  });
}

/** CSS pixels to canvas pixels (hooks draw on the canvas). */
export const px = (n: number): number => n * uPlot.pxRatio;

/** Axis steps for counts: whole numbers only (no "2.5 messages"). */
export const INT_INCRS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8, 1e9,
];

/** The count axis of bar charts: whole-number steps, compact figures (12k). */
export function countAxis(label: string | undefined): uPlot.Axis {
  return axis(label ?? 'count', { size: 52, incrs: INT_INCRS, values: (_u, t) => t.map(fmtCompact) });
}
