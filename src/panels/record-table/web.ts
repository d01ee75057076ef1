import type { PanelSpec } from '../../core/app.ts';
import type { PanelData, PanelDelta } from '../../server/protocol.ts';
import { card, type PanelView } from '../../web/charts/card.ts';
import { fmtInt, fmtNum, h } from '../../web/dom.ts';
import type { WebPanelType } from '../web.ts';
import type { RecordTableData, RecordTableOptions } from './options.ts';

type Format = RecordTableOptions['columns'][number]['format'];

function shown(v: string | number | boolean | null, format: Format): string {
  if (v === null) return '–';
  if (format === 'percent' && typeof v === 'number') return `${fmtNum(v * 100, 1)}%`;
  if (format === 'date' && typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) return v.slice(0, 10);
  return typeof v === 'number' ? fmtNum(v) : String(v);
}

/** `record-table` in the browser: newest first, initials in a circle, flagged rows marked (class and title). */
function recordTablePanel(spec: PanelSpec): PanelView {
  const o = (spec.options ?? {}) as Partial<RecordTableOptions>;
  const columns = o.columns ?? [];
  const c = card(spec, 'wide table');
  const show = (p: PanelData | PanelDelta) => {
    if (p.kind !== 'module') return;
    const d = p.data as RecordTableData;
    c.setEmpty(d.rows.length === 0);
    const head = h(
      'tr',
      {},
      o.initials ? h('th', { text: '' }) : null,
      ...columns.map((col) => h('th', { text: col.label ?? col.field })),
    );
    const rows = [...d.rows].reverse().map((r) =>
      h(
        'tr',
        {
          class: r.flagged ? 'flagged' : undefined,
          'data-flagged': String(r.flagged),
          title: r.flagged ? o.flag?.label : undefined,
        },
        o.initials ? h('td', {}, h('span', { class: 'initials', text: r.initials ?? '' })) : null,
        ...columns.map((col, i) => {
          const text = shown(r.cells[i] ?? null, col.format);
          // Long free text (an address) wraps at a readable width, not a word or two a line.
          return h('td', { text, class: text.length > 40 ? 'long' : undefined });
        }),
      ),
    );
    c.body.replaceChildren(h('table', { class: 'grid compact' }, h('thead', {}, head), h('tbody', {}, ...rows)));
    const flagged = d.rows.filter((r) => r.flagged).length;
    // The flag's label is a noun ("wrong prediction"): one, or several with an s.
    const flags = o.flag ? ` · ${flagged} ${o.flag.label}${flagged === 1 ? '' : 's'}` : '';
    c.summary.textContent = `${fmtInt(d.total)} on the topic · ${d.rows.length} newest${flags}`;
  };
  return { el: c.el, apply: show, delta: show, destroy() {} };
}

export const recordTableRenderer: WebPanelType = { name: 'record-table', create: recordTablePanel };
