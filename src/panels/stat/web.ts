import type { PanelSpec } from '../../core/app.ts';
import type { PanelData } from '../../server/protocol.ts';
import { card, isString, option, type PanelView } from '../../web/charts/card.ts';
import { fmtNum, fmtTime, h } from '../../web/dom.ts';
import { dataOf, type WebPanelType } from '../web.ts';
import type { StatData } from './options.ts';

/** `stat`: one figure, large. */
function statPanel(spec: PanelSpec): PanelView {
  const c = card(spec, 'stat');
  const value = h('div', { class: 'stat-value' });
  c.body.appendChild(value);
  const unit = option(spec, 'unit', isString);
  const show = (raw: PanelData) => {
    const d = dataOf<StatData>(raw, 'stat');
    if (!d) return;
    c.setEmpty(d.value === null);
    value.textContent =
      d.value === null ? '–' : `${typeof d.value === 'number' ? fmtNum(d.value) : d.value}${unit ? ` ${unit}` : ''}`;
    c.summary.textContent = d.at ? fmtTime(d.at) : '';
  };
  return { el: c.el, apply: show, delta: show, destroy() {} };
}

export const statRenderer: WebPanelType = { name: 'stat', create: statPanel };
