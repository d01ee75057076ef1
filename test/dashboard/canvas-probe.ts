import type { Page } from 'playwright-core';

/** A text as drawn on a chart canvas: its four corners in canvas pixels (rotation included). */
export interface DrawnText {
  text: string;
  corners: Array<[number, number]>;
}

/**
 * Records every fillText on every canvas (what uPlot's axes and our overlays write), with its box in canvas
 * pixels, and forgets a canvas's texts when it is cleared whole (uPlot redraws from scratch). Canvas text
 * is invisible to the DOM; this lets a test see which tick labels were drawn and whether labels overlap.
 */
export async function installCanvasProbe(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const drawn = new WeakMap<HTMLCanvasElement, Array<{ text: string; corners: Array<[number, number]> }>>();
    (window as unknown as { __drawn: typeof drawn }).__drawn = drawn;
    const proto = CanvasRenderingContext2D.prototype;
    const fillText = proto.fillText;
    const clearRect = proto.clearRect;
    proto.clearRect = function (x, y, w, h) {
      if (x <= 0 && y <= 0 && w >= this.canvas.width && h >= this.canvas.height) drawn.set(this.canvas, []);
      return clearRect.call(this, x, y, w, h);
    };
    proto.fillText = function (text, x, y, maxWidth) {
      const m = this.measureText(text);
      const t = this.getTransform();
      const box: Array<[number, number]> = [
        [x - m.actualBoundingBoxLeft, y - m.actualBoundingBoxAscent],
        [x + m.actualBoundingBoxRight, y - m.actualBoundingBoxAscent],
        [x + m.actualBoundingBoxRight, y + m.actualBoundingBoxDescent],
        [x - m.actualBoundingBoxLeft, y + m.actualBoundingBoxDescent],
      ];
      const corners = box.map(([px, py]): [number, number] => [t.a * px + t.c * py + t.e, t.b * px + t.d * py + t.f]);
      const list = drawn.get(this.canvas) ?? [];
      list.push({ text: String(text), corners });
      drawn.set(this.canvas, list);
      return fillText.call(this, text, x, y, maxWidth);
    };
  });
}

/** The texts last drawn on the chart canvas of a panel (or any element matching `selector`). */
export function drawnTexts(page: Page, selector: string): Promise<DrawnText[]> {
  return page.evaluate((sel) => {
    const c = document.querySelector<HTMLCanvasElement>(`${sel} canvas`);
    const map = (window as unknown as { __drawn: WeakMap<HTMLCanvasElement, DrawnText[]> }).__drawn;
    return c ? (map.get(c) ?? []) : [];
  }, selector);
}

/** Whether two drawn texts' boxes overlap (separating-axis test on the two quadrilaterals). */
export function overlap(a: DrawnText, b: DrawnText): boolean {
  for (const poly of [a.corners, b.corners]) {
    for (let i = 0; i < poly.length; i++) {
      const [x1, y1] = poly[i]!;
      const [x2, y2] = poly[(i + 1) % poly.length]!;
      const nx = y2 - y1;
      const ny = x1 - x2;
      const project = (p: Array<[number, number]>) => p.map(([x, y]) => x * nx + y * ny);
      const pa = project(a.corners);
      const pb = project(b.corners);
      const len = Math.hypot(nx, ny) || 1;
      // Touching (within half a pixel) is not overlapping.
      if (Math.max(...pa) <= Math.min(...pb) + 0.5 * len || Math.max(...pb) <= Math.min(...pa) + 0.5 * len)
        return false;
    }
  }
  return true;
}

/** Pixels of the panel's canvas close to an opaque colour (a line or marker drawn in it), by column. */
export function colourColumns(
  page: Page,
  selector: string,
  rgb: [number, number, number],
  minAlpha = 200,
): Promise<{ width: number; columns: number[] }> {
  return page.evaluate(
    ([sel, [r, g, b], minA]) => {
      const c = document.querySelector<HTMLCanvasElement>(`${sel} canvas`);
      if (!c) return { width: 0, columns: [] };
      const copy = document.createElement('canvas');
      copy.width = c.width;
      copy.height = c.height;
      const ctx = copy.getContext('2d', { willReadFrequently: true })!;
      ctx.drawImage(c, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      const columns = new Array<number>(c.width).fill(0);
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3]! < minA) continue;
        if (Math.abs(d[i]! - r) + Math.abs(d[i + 1]! - g) + Math.abs(d[i + 2]! - b) < 60) columns[(i / 4) % c.width]!++;
      }
      return { width: c.width, columns };
    },
    [selector, rgb, minAlpha] as const,
  );
}
