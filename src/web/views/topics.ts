import { isInternalTopic } from '../../core/internal-topics.ts';
import type { RecordView, TopicDelta, TopicSnapshot, TopicStat } from '../../server/protocol.ts';
import { getJson, live } from '../api.ts';
import { clear, fmtDateTime, fmtInt, fmtRate, h, preview } from '../dom.ts';
import { deadLetterOf, recordDetail } from './record-detail.ts';
import type { View } from './view.ts';

const MAX_ROWS = 500;
/** The "internal" box, kept while the user moves between topics. */
let showInternal = false;

/**
 * Topic browser: every topic on the left; the chosen one tails live on the right, filtered on the
 * server (by key, a field, or any text), newest first. Clicking a row opens the whole record; a
 * dead-letter topic shows each record's reason, source and raw payload as columns.
 */
export function topicsView(selected: string | undefined): View {
  const list = h('nav', { class: 'topic-list' });
  const main = h('div', { class: 'topic-main' });
  const el = h('div', { class: 'page topics-page' }, list, main);
  let stopList = () => {};

  // runnel's own topics (`_runnel.status`, …) are hidden unless asked for, or one of them is open.
  const internal = h('input', { type: 'checkbox', class: 'show-internal' });
  internal.checked = showInternal || (selected !== undefined && isInternalTopic(selected));
  internal.addEventListener('change', () => {
    showInternal = internal.checked;
    void refreshList();
  });
  const listHead = h(
    'div',
    { class: 'list-title' },
    'Topics',
    h(
      'label',
      {
        class: 'muted small',
        title: "runnel's own topics: _runnel.status, the engine's repartition topics and changelogs",
      },
      internal,
      ' internal',
    ),
  );
  const refreshList = async () => {
    const query = internal.checked ? '?internal=true' : '';
    const topics = await getJson<TopicStat[]>(`/api/topics${query}`).catch(() => undefined);
    if (!topics) return;
    clear(list);
    list.appendChild(listHead);
    for (const t of topics) {
      const dlq = t.name.endsWith('.dlq');
      list.appendChild(
        h(
          'a',
          {
            href: `#/topics/${encodeURIComponent(t.name)}`,
            class: `topic-item ${t.name === selected ? 'active' : ''} ${dlq && t.total > 0 ? 'dlq' : ''} ${t.internal ? 'internal' : ''}`,
          },
          h('span', { class: 'ellipsis', text: t.name }),
          h('span', { class: `count ${dlq && t.total > 0 ? 'bad' : ''}`, text: fmtInt(t.total) }),
        ),
      );
    }
    if (selected === undefined && topics.length > 0) {
      location.hash = `#/topics/${encodeURIComponent(topics.find((t) => !t.internal)?.name ?? topics[0]!.name)}`;
    }
  };
  void refreshList();
  const listTimer = setInterval(refreshList, 3000);
  stopList = () => clearInterval(listTimer);

  if (selected === undefined) {
    main.appendChild(
      h('p', { class: 'muted', text: 'No topics yet. Start a pipeline (runnel run buzz) and they appear here.' }),
    );
    return { el, destroy: () => stopList() };
  }
  const topic = selected;
  const isDlq = topic.endsWith('.dlq');
  const stats = h('div', { class: 'topic-stats muted' });
  const filter = h('input', {
    type: 'search',
    class: 'filter',
    placeholder: 'filter: text, key:abc or field=value',
    maxlength: 200,
    'aria-label': 'filter records',
  });
  const pause = h('button', { type: 'button', class: 'btn', text: 'Pause' });
  const status = h('span', { class: 'muted small' });
  const tbody = h('tbody');
  const detail = h('aside', { class: 'record-detail', hidden: true });
  // An empty table said nothing: a filter that matches nothing (yet) says so.
  const noMatch = h('p', { class: 'muted no-match', hidden: true });
  const head = isDlq ? ['time', 'reason', 'source', 'raw payload'] : ['time', 'partition · offset', 'key', 'value'];
  main.append(
    h(
      'div',
      { class: 'page-head' },
      h('div', {}, h('h1', { class: isDlq ? 'bad-text' : '', text: topic }), stats),
      h('div', { class: 'toolbar' }, filter, pause, status),
    ),
    h(
      'div',
      { class: 'records-and-detail' },
      h(
        'div',
        { class: 'table-wrap records' },
        h(
          'table',
          { class: `grid records-table ${isDlq ? 'dlq' : ''}` },
          h('thead', {}, h('tr', {}, ...head.map((t, i) => h('th', { class: `col-${i}`, text: t })))),
          tbody,
        ),
        noMatch,
      ),
      detail,
    ),
  );

  let paused = false;
  let held: RecordView[] = [];
  let rows = 0;
  /** Per partition, one past the newest offset shown: the stat comes from a poll and may lag the rows. */
  const liveEnds = new Map<number, number>();
  const noteEnds = (records: RecordView[]) => {
    for (const r of records) liveEnds.set(r.partition, Math.max(liveEnds.get(r.partition) ?? 0, r.offset + 1));
  };
  const showStat = (s: TopicStat | undefined) => {
    if (!s) return;
    // Never fewer records than the rows on screen say there are (offset 81 is the 82nd record).
    let seen = 0;
    for (const end of liveEnds.values()) seen += end;
    const total = Math.max(s.total, seen);
    stats.textContent = `${s.partitions} partition${s.partitions === 1 ? '' : 's'} · ${fmtInt(total)} record${total === 1 ? '' : 's'} · ${fmtRate(s.rate)}${s.dlq ? ` · ${fmtInt(s.dlq)} dead letters` : ''}`;
    // The list polls every few seconds: its count for this topic follows the header's live one, not behind it.
    const count = list.querySelector('.topic-item.active .count');
    if (count) count.textContent = fmtInt(total);
  };
  const row = (r: RecordView): HTMLElement => {
    const dl = isDlq ? deadLetterOf(r.value) : undefined;
    const cells = dl
      ? [dl.reason, dl.source, preview(dl.raw, 300)]
      : [`${r.partition} · ${r.offset}`, r.key ?? '–', preview(r.value)];
    const tr = h(
      'tr',
      { 'data-offset': r.offset, 'data-partition': r.partition, tabindex: 0 },
      h('td', { class: 'nowrap', text: fmtDateTime(r.timestamp) }),
      // Dead-letter reasons and sources wrap (up to three lines): they are what the user came to read.
      ...cells.map((t, i) =>
        dl && i < 2
          ? h('td', { class: 'wrap' }, h('div', { class: 'clamp', title: t, text: t }))
          : h('td', { class: i === cells.length - 1 ? 'ellipsis mono' : 'ellipsis', text: t }),
      ),
    );
    const open = () => {
      for (const sel of tbody.querySelectorAll('tr.selected')) sel.classList.remove('selected');
      tr.classList.add('selected');
      void recordDetail(topic, r, detail);
    };
    tr.addEventListener('click', open);
    tr.addEventListener('keydown', (e) => e.key === 'Enter' && open());
    return tr;
  };
  const showNoMatch = () => {
    const f = filter.value.trim();
    noMatch.hidden = rows > 0;
    noMatch.textContent = f
      ? `No records match “${f}” among the newest on this topic. New matches appear here as they arrive.`
      : 'No records on this topic yet. They appear here as they arrive.';
  };
  const prepend = (records: RecordView[]) => {
    const frag = document.createDocumentFragment();
    for (let i = records.length - 1; i >= 0; i--) frag.appendChild(row(records[i]!));
    tbody.insertBefore(frag, tbody.firstChild);
    rows += records.length;
    while (rows > MAX_ROWS && tbody.lastChild) {
      tbody.removeChild(tbody.lastChild);
      rows--;
    }
    showNoMatch();
  };

  let stream: { close(): void } | undefined;
  const connect = () => {
    stream?.close();
    stream = live(`/api/live/topics/${encodeURIComponent(topic)}`, filter.value ? { filter: filter.value } : {}, {
      snapshot: (s: TopicSnapshot) => {
        clear(tbody);
        rows = 0;
        held = [];
        prepend(s.records);
        noteEnds(s.records);
        showStat(s.stat);
        status.textContent = s.exists ? '' : 'topic does not exist yet: waiting';
        el.setAttribute('data-loaded', 'true');
      },
      delta: (d: TopicDelta) => {
        noteEnds(d.records);
        showStat(d.stat);
        if (d.records.length === 0) return;
        if (paused) {
          held = [...held, ...d.records].slice(-MAX_ROWS);
          status.textContent = `${held.length} new while paused`;
        } else prepend(d.records);
        if (d.skipped > 0 && !paused)
          status.textContent = `showing the newest; ${fmtInt(d.skipped)} more matched in the last tick`;
      },
    });
  };
  let debounce: ReturnType<typeof setTimeout> | undefined;
  filter.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(connect, 300);
  });
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.classList.toggle('active', paused);
    if (!paused) {
      prepend(held);
      held = [];
      status.textContent = '';
    }
  });
  // Escape closes the open record, as the Close button does.
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== 'Escape' || detail.hidden) return;
    detail.hidden = true;
    for (const sel of tbody.querySelectorAll('tr.selected')) sel.classList.remove('selected');
  };
  document.addEventListener('keydown', onKey);
  connect();
  return {
    el,
    destroy() {
      document.removeEventListener('keydown', onKey);
      stopList();
      clearTimeout(debounce);
      stream?.close();
    },
  };
}
