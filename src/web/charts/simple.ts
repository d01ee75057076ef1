import type { PanelSpec } from '../../core/app.ts';
import type { PanelData, PanelDelta } from '../../server/protocol.ts';
import { clear, fmtDateTime, fmtNum, fmtTime, h, preview } from '../dom.ts';
import { card, isString, option, type PanelView } from './card.ts';

/**
 * `alert`: a full-width banner, calm while nothing is wrong, loud while the latest record says the
 * condition holds (a smoker stall), with the record's figures beside it.
 */
export function alertPanel(spec: PanelSpec): PanelView {
  const message = option(spec, 'message', isString) ?? spec.title;
  const calm = option(spec, 'okMessage', isString) ?? 'All clear';
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
  const skip = new Set([spec.fields.active, spec.fields.label, 'at']);
  const show = (d: PanelData | PanelDelta) => {
    if (d.kind !== 'alert') return;
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

/** `stat`: one figure, large. */
export function statPanel(spec: PanelSpec): PanelView {
  const c = card(spec, 'stat');
  const value = h('div', { class: 'stat-value' });
  c.body.appendChild(value);
  const unit = option(spec, 'unit', isString);
  const show = (d: PanelData | PanelDelta) => {
    if (d.kind !== 'stat') return;
    c.setEmpty(d.value === null);
    value.textContent =
      d.value === null ? '–' : `${typeof d.value === 'number' ? fmtNum(d.value) : d.value}${unit ? ` ${unit}` : ''}`;
    c.summary.textContent = d.at ? fmtTime(d.at) : '';
  };
  return { el: c.el, apply: show, delta: show, destroy() {} };
}

/** `table`: the latest records, newest first, one column per field (or the whole value). */
export function tablePanel(spec: PanelSpec): PanelView {
  const c = card(spec, 'table');
  const columns = spec.fields.columns;
  const show = (d: PanelData | PanelDelta) => {
    if (d.kind !== 'table') return;
    c.setEmpty(d.rows.length === 0);
    clear(c.body);
    const head = h('tr', {}, h('th', { text: 'time' }), ...(columns ?? ['value']).map((col) => h('th', { text: col })));
    const rows = [...d.rows].reverse().map((r) => {
      const v = r.value as Record<string, unknown> | null;
      const cells = columns
        ? columns.map((col) => preview(v && typeof v === 'object' ? v[col] : undefined, 120))
        : [preview(r.value, 200)];
      return h('tr', {}, h('td', { text: fmtTime(r.timestamp) }), ...cells.map((t) => h('td', { text: t })));
    });
    c.body.appendChild(h('table', { class: 'grid' }, h('thead', {}, head), h('tbody', {}, ...rows)));
    c.summary.textContent = `${d.rows.length} latest`;
  };
  return { el: c.el, apply: show, delta: show, destroy() {} };
}
