import type { Info } from '../../server/protocol.ts';
import type { SqlResult } from '../../sql/session.ts';
import { ApiError, postJson } from '../api.ts';
import { clear, fmtInt, h, preview } from '../dom.ts';
import type { View } from './view.ts';

/** Queries a new user can start from: what is there, and how much. */
const EXAMPLES: Array<{ label: string; sql: string }> = [
  // runnel.tables, not SHOW ALL TABLES: that one misses the SQLite tables (copied in only when named).
  { label: 'tables', sql: 'SELECT name, kind, rows\nFROM runnel.tables\nORDER BY name' },
  { label: 'DuckDB tables only', sql: 'SHOW ALL TABLES' },
];
/** Column types whose cells align right, as numbers do. */
const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/;
/** Kept while the user moves between pages, as the topic filter is. */
let lastQuery = EXAMPLES[0]!.sql;
let lastApp = '';

/**
 * The SQL page: one read-only DuckDB query over the data folder (POST /api/sql, which checks it and
 * enforces the row and time limits), its result as a table. Cells are text nodes, like every value here.
 */
export function sqlView(info: Info): View {
  const input = h('textarea', {
    class: 'sql-input mono',
    rows: 6,
    spellcheck: 'false',
    maxlength: 8000,
    'aria-label': 'SQL query',
  });
  input.value = lastQuery;
  const app = h(
    'select',
    { class: 'filter sql-app', 'aria-label': 'app' },
    h('option', { value: '', text: 'all apps' }),
    ...info.apps.map((a) => h('option', { value: a.name, text: a.name })),
  );
  app.value = lastApp;
  const run = h('button', { type: 'button', class: 'btn', text: 'Run' });
  const status = h('span', { class: 'muted small sql-status' });
  const result = h('div', { class: 'table-wrap sql-result', hidden: true });
  const examples = EXAMPLES.map((e) => {
    const b = h('button', { type: 'button', class: 'btn small', text: e.label });
    b.addEventListener('click', () => {
      input.value = e.sql;
      void submit();
    });
    return b;
  });
  const el = h(
    'div',
    { class: 'page sql-page', 'data-loaded': 'true' },
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', { text: 'SQL' }),
        h('p', {
          class: 'muted',
          text:
            "Read-only DuckDB SQL over the apps' outputs: each app's DuckDB tables (app.table), its SQLite " +
            'tables (app_sqlite.table) and every JSONL file (jsonl."topic"). At most 1,000 rows and 10 seconds.',
        }),
      ),
      h('div', { class: 'toolbar' }, ...examples),
    ),
    input,
    h('div', { class: 'toolbar sql-bar' }, app, run, status),
    result,
  );

  let busy = false;
  const submit = async () => {
    if (busy) return;
    busy = true;
    run.disabled = true;
    lastQuery = input.value;
    lastApp = app.value;
    status.className = 'muted small sql-status';
    status.textContent = 'running…';
    const started = performance.now();
    try {
      const answer = await postJson<SqlResult>('/api/sql', {
        query: input.value,
        ...(app.value ? { app: app.value } : {}),
      });
      const ms = Math.round(performance.now() - started);
      status.textContent =
        `${fmtInt(answer.rows.length)} row${answer.rows.length === 1 ? '' : 's'}` +
        `${answer.truncated ? ' (more matched: only the first are shown)' : ''} · ${ms} ms` +
        answer.notes.map((n) => ` · ${n}`).join('');
      show(result, answer);
    } catch (err) {
      status.className = 'small sql-status bad-text';
      status.textContent = err instanceof ApiError ? err.message : `cannot reach the server: ${(err as Error).message}`;
      result.hidden = true;
    } finally {
      busy = false;
      run.disabled = false;
    }
  };
  run.addEventListener('click', () => void submit());
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void submit();
    }
  });
  return { el, destroy() {} };
}

function show(wrap: HTMLElement, answer: SqlResult): void {
  clear(wrap);
  wrap.hidden = false;
  wrap.appendChild(
    h(
      'table',
      { class: 'grid compact sql-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...answer.columns.map((c) =>
            h('th', { title: c.type, class: NUMERIC.test(c.type) ? 'num' : undefined, text: c.name }),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...answer.rows.map((row) =>
          h(
            'tr',
            {},
            ...row.map((v) =>
              h('td', {
                class: typeof v === 'number' ? 'num mono' : 'mono',
                text: v === null ? 'NULL' : preview(v, 2000),
              }),
            ),
          ),
        ),
      ),
    ),
  );
}
