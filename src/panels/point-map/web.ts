import type { PanelSpec } from '../../core/app.ts';
import type { PanelData, PanelDelta } from '../../server/protocol.ts';
import { card, type PanelView } from '../../web/charts/card.ts';
import { COLORS, color } from '../../web/charts/theme.ts';
import { fmtInt, h } from '../../web/dom.ts';
import type { WebPanelType } from '../web.ts';
import type { PointMapData, PointMapOptions } from './options.ts';

/**
 * `point-map` in the browser: a canvas keeping the grid's aspect, each entity a dot (a cell wide when
 * cells are big enough) in its group's colour, later groups on top; or, for a heatmap frame, each group's
 * cells shaded by density (square root, so a few people still show). A legend counts the groups.
 */
function pointMapPanel(spec: PanelSpec): PanelView {
  const o = (spec.options ?? {}) as Partial<PointMapOptions>;
  const groups = o.groups ?? [];
  const colors = groups.map((g) => color(g.color, COLORS.accent));
  const c = card(spec, 'wide map');
  const canvas = h('canvas', { class: 'point-map' }) as HTMLCanvasElement;
  const legend = h('div', { class: 'map-legend' });
  c.body.append(canvas, legend);
  let d: PointMapData | undefined;
  let frames = 0;

  const draw = () => {
    if (!d) return;
    const boxW = Math.max(100, c.body.clientWidth);
    const boxH = Math.max(100, c.body.clientHeight - 24);
    const scale = Math.min(boxW / d.width, boxH / d.height);
    const w = Math.max(1, Math.floor(d.width * scale));
    const hgt = Math.max(1, Math.floor(d.height * scale));
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.floor(w * ratio);
    canvas.height = Math.floor(hgt * ratio);
    canvas.style.width = `${w}px`;
    canvas.style.height = `${hgt}px`;
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = COLORS.panel;
    ctx.fillRect(0, 0, w, hgt);
    const perGroup = groups.map(() => 0);
    if (d.mode === 'points') {
      const dot = Math.max(2, scale);
      // Group by group so the later groups (the infected) are drawn over the others.
      for (let g = 0; g < groups.length; g++) {
        ctx.fillStyle = colors[g]!;
        for (let i = 0; i < d.points.length; i += 3) {
          if (d.points[i + 2] !== g) continue;
          perGroup[g]!++;
          ctx.fillRect(d.points[i]! * scale, d.points[i + 1]! * scale, dot, dot);
        }
      }
    } else {
      const { bx } = d;
      const cw = w / d.bx;
      const ch = hgt / d.by;
      d.counts.forEach((cells, g) => {
        const max = Math.max(1, ...cells);
        ctx.fillStyle = colors[g]!;
        for (let k = 0; k < cells.length; k++) {
          const n = cells[k]!;
          if (n === 0) continue;
          perGroup[g]! += n;
          ctx.globalAlpha = Math.min(1, 0.15 + 0.85 * Math.sqrt(n / max));
          ctx.fillRect((k % bx) * cw, Math.floor(k / bx) * ch, Math.ceil(cw), Math.ceil(ch));
        }
      });
      ctx.globalAlpha = 1;
    }
    legend.replaceChildren(
      ...groups.map((g, i) => {
        const swatch = h('i');
        swatch.style.background = colors[i]!; // CSSOM, not a style attribute: the page's CSP allows it
        return h('span', { class: 'map-key' }, swatch, `${g.label} ${fmtInt(perGroup[i] ?? 0)}`);
      }),
    );
    frames++;
    // What a test can check without reading pixels.
    c.el.dataset.mode = d.mode;
    c.el.dataset.count = String(d.count);
    c.el.dataset.frames = String(frames);
    c.el.dataset.groups = perGroup.join(' ');
    if (d.newest !== null) c.el.dataset.newest = String(d.newest);
  };

  const ro = new ResizeObserver(() => draw());
  ro.observe(c.body);
  const show = (p: PanelData | PanelDelta) => {
    if (p.kind !== 'module') return;
    d = p.data as PointMapData;
    c.setEmpty(d.count === 0);
    const what = d.mode === 'points' ? 'points' : `heatmap ${d.bx}×${d.by}`;
    c.summary.textContent = `${fmtInt(d.count)} on ${d.width}×${d.height} · ${what}${d.newest !== null ? ` · tick ${d.newest}` : ''}`;
    draw();
  };
  return { el: c.el, apply: show, delta: show, destroy: () => ro.disconnect() };
}

export const pointMapRenderer: WebPanelType = { name: 'point-map', create: pointMapPanel };
