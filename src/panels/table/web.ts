import type { PanelSpec } from '../../core/app.ts';
import type { PanelData } from '../../server/protocol.ts';
import { card, type PanelView } from '../../web/charts/card.ts';
import { clear, fmtTime, h, preview } from '../../web/dom.ts';
import { dataOf, type WebPanelType } from '../web.ts';
import type { TableData } from './options.ts';

/** `table`: the latest records, newest first, one column per field (or the whole value). */
function tablePanel(spec: PanelSpec): PanelView {
  const c = card(spec, 'table');
  const columns = spec.fields.columns;
  const withTime = (spec.options as { time?: boolean } | undefined)?.time !== false;
  const show = (raw: PanelData) => {
    const d = dataOf<TableData>(raw, 'table');
    if (!d) return;
    c.setEmpty(d.rows.length === 0);
    clear(c.body);
    const head = h(
      'tr',
      {},
      ...(withTime ? [h('th', { text: 'time' })] : []),
      ...(columns ?? ['value']).map((col) => h('th', { text: col })),
    );
    const rows = [...d.rows].reverse().map((r) => {
      const v = r.value as Record<string, unknown> | null;
      const cells = columns
        ? columns.map((col) => cell(v && typeof v === 'object' ? v[col] : undefined))
        : [preview(r.value, 200)];
      return h(
        'tr',
        {},
        ...(withTime ? [h('td', { text: fmtTime(r.timestamp) })] : []),
        // A short word (a day, an id, a type) stays on one line: "2025-09-03" broke after "2025-". Sentences
        // wrap at a readable width: on a phone an alert's reason went one word a line, rows 380 px tall.
        ...cells.map((t) =>
          h('td', { text: t, class: !/\s/.test(t) && t.length <= 24 ? 'nowrap' : t.length > 40 ? 'long' : undefined }),
        ),
      );
    });
    c.body.appendChild(h('table', { class: 'grid' }, h('thead', {}, head), h('tbody', {}, ...rows)));
    c.summary.textContent = `${d.rows.length} latest`;
  };
  return { el: c.el, apply: show, delta: show, destroy() {} };
}

/**
 * A column's value: an absent or null field is a dash, not the word "null". Text is shown whole up to a
 * paragraph (an alert's reason runs to ~200 characters and wraps); a nested value is cut shorter.
 */
const cell = (v: unknown): string =>
  v === null || v === undefined ? '–' : preview(v, typeof v === 'string' ? 400 : 120);

export const tableRenderer: WebPanelType = { name: 'table', create: tablePanel };
