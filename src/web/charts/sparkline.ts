import { COLORS } from './theme.ts';

/** A tiny records/s trend for a table cell: plain canvas, cheap enough to redraw every second. */
export function sparkline(values: number[], color = COLORS.accent, width = 120, height = 28): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  const r = window.devicePixelRatio || 1;
  canvas.width = width * r;
  canvas.height = height * r;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.className = 'spark';
  const ctx = canvas.getContext('2d');
  if (!ctx || values.length < 2) return canvas;
  const max = Math.max(...values, 1e-9);
  const step = (width * r) / (values.length - 1);
  const y = (v: number) => height * r - 2 * r - (v / max) * (height - 4) * r;
  ctx.beginPath();
  for (const [i, v] of values.entries()) {
    if (i === 0) ctx.moveTo(0, y(v));
    else ctx.lineTo(i * step, y(v));
  }
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5 * r;
  ctx.stroke();
  ctx.lineTo((values.length - 1) * step, height * r);
  ctx.lineTo(0, height * r);
  ctx.closePath();
  ctx.fillStyle = `${color}22`;
  ctx.fill();
  return canvas;
}
