import type { PanelSpec } from '../../core/app.ts';
import type { PanelData, PanelDelta } from '../../server/protocol.ts';
import { card, type PanelView } from '../../web/charts/card.ts';
import { fmtInt, fmtNum, h } from '../../web/dom.ts';
import type { WebPanelType } from '../web.ts';
import type { TickSpeedData } from './options.ts';

/** `tick-speed` in the browser: ticks/s and the lag in ticks, big, with the newest ticks under them. */
function tickSpeedPanel(spec: PanelSpec): PanelView {
  const c = card(spec);
  const rate = h('div', { class: 'stat-value' });
  const lag = h('div', { class: 'stat-value' });
  c.body.append(
    h(
      'div',
      { class: 'speed' },
      h('div', {}, rate, h('div', { class: 'muted', text: 'ticks/s' })),
      h('div', {}, lag, h('div', { class: 'muted', text: 'ticks behind the input' })),
    ),
  );
  const show = (p: PanelData | PanelDelta) => {
    if (p.kind !== 'module') return;
    const d = p.data as TickSpeedData;
    c.setEmpty(d.tick === null);
    rate.textContent = d.rate === null ? '—' : fmtNum(d.rate, 1);
    lag.textContent = d.lag === null ? '—' : fmtInt(Math.max(0, d.lag));
    c.summary.textContent =
      d.tick === null ? '' : `tick ${d.tick}${d.sourceTick === null ? '' : ` of ${d.sourceTick} produced`}`;
    c.el.dataset.tick = String(d.tick ?? '');
    c.el.dataset.lag = String(d.lag ?? '');
    c.el.dataset.rate = String(d.rate ?? '');
  };
  return { el: c.el, apply: show, delta: show, destroy() {} };
}

export const tickSpeedRenderer: WebPanelType = { name: 'tick-speed', create: tickSpeedPanel };
