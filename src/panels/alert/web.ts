import type { PanelSpec } from '../../core/app.ts';
import type { PanelData } from '../../server/protocol.ts';
import type { PanelView } from '../../web/charts/card.ts';
import { clear, fmtDateTime, fmtNum, h } from '../../web/dom.ts';
import { dataOf, type WebPanelType } from '../web.ts';
import type { AlertData, AlertOptions } from './options.ts';

/**
 * `alert`: a full-width banner, calm while nothing is wrong, loud while the latest record says the
 * condition holds (a smoker stall), with the record's figures beside it.
 */
function alertPanel(spec: PanelSpec): PanelView {
  const o = (spec.options ?? {}) as Partial<AlertOptions>;
  const message = o.message ?? spec.title;
  const calm = o.okMessage ?? 'All clear';
  const icon = h('div', { class: 'alert-icon', 'aria-hidden': 'true' });
  const headline = h('strong', { class: 'alert-headline' });
  const sub = h('div', { class: 'alert-sub' });
  const chips = h('div', { class: 'alert-chips' });
  const el = h(
    'section',
    {
      class: 'panel alert',
      'data-panel': spec.id,
      'data-type': 'alert',
      'data-active': 'false',
      role: 'status',
      'aria-live': 'polite',
    },
    icon,
    h('div', { class: 'alert-text' }, h('div', { class: 'alert-title', text: spec.title }), headline, sub),
    chips,
  );
  // The flag, the label and the time field are said in words already; the rest are the figures.
  const skip = new Set([spec.fields.active, spec.fields.label, o.at]);
  const show = (raw: PanelData) => {
    const d = dataOf<AlertData>(raw, 'alert');
    if (!d) return;
    el.setAttribute('data-active', String(d.active));
    headline.textContent = d.active ? message : calm;
    const kind = d.detail?.[spec.fields.active ?? ''];
    const last = `${kind === undefined ? 'last event' : String(kind).replace(/_/g, ' ')}${d.label ? ` at ${d.label}` : ''}`;
    const now =
      d.active && d.since !== undefined
        ? `since ${fmtDateTime(d.since)}`
        : d.count > 0 || d.label
          ? last
          : 'nothing so far';
    sub.textContent = `${now} · ${d.count} in total`;
    clear(chips);
    if (d.active && d.detail) {
      for (const [k, v] of Object.entries(d.detail)) {
        if (skip.has(k)) continue;
        chips.appendChild(
          h(
            'span',
            { class: 'chip' },
            h('span', { class: 'chip-k', text: k }),
            typeof v === 'number' ? fmtNum(v) : String(v),
          ),
        );
      }
    }
  };
  return { el, apply: show, delta: show, destroy() {} };
}

export const alertRenderer: WebPanelType = { name: 'alert', create: alertPanel };
