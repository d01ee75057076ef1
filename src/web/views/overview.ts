import uPlot from 'uplot';
import { canControl, ended } from '../../core/status.ts';
import {
  type AppView,
  type ComponentView,
  type GroupStat,
  LAG_OK_RECORDS,
  LAG_OK_SECONDS,
  type Overview,
  type TopicStat,
} from '../../server/protocol.ts';
import { live } from '../api.ts';
import { forLog, logRange, powersOfTen, wantsLogScale } from '../charts/log-scale.ts';
import { sparkline } from '../charts/sparkline.ts';
import { alpha, autosize, axis, boxSize, PALETTE, timeAxis } from '../charts/theme.ts';
import { breakable, clear, fmtAgo, fmtCompact, fmtDateTime, fmtInt, fmtRate, h } from '../dom.ts';
import { appHealth, cardsAndUnrun } from './app-health.ts';
import { holdWhileUsed, replayControls } from './replay-controls.ts';
import type { View } from './view.ts';

/** Topics drawn on the throughput chart (its legend must stay one or two lines). */
const CHART_TOPICS = 8;
/**
 * Component-table columns a phone leaves out, so the target keeps some room (the card's header already
 * counts dead letters; the kind shows in the name).
 */
const NARROW_HIDDEN: Record<number, string> = { 0: 'narrow-hidden', 4: 'narrow-hidden' };
/** One dash pattern per charted topic (the legend's markers show it too). */
const DASHES: Array<number[] | undefined> = [
  undefined,
  [9, 6],
  [2, 4],
  [14, 4, 3, 4],
  [5, 5],
  [1, 6],
  [18, 6],
  [6, 3, 1, 3],
];

/** Everything on the broker at a glance: apps and their components, topics, lag, dead letters. */
export function overviewView(): View {
  const tiles = h('div', { class: 'tiles' });
  const chartBox = h('div', { class: 'chart' });
  // In the chart's place until there is a rate to draw: the first seconds of a run drew bare axes.
  const chartEmpty = h('div', { class: 'empty' });
  const chartWrap = h('div', { class: 'chart-wrap' }, chartBox, chartEmpty);
  const chartNote = h('div', { class: 'summary', text: 'records/s, last minute' });
  const chartPanel = h(
    'section',
    { class: 'panel wide', 'data-panel': 'throughput', 'data-empty': 'true' },
    h('header', {}, h('h3', { text: 'Throughput by topic' }), chartNote),
    chartWrap,
  );
  const apps = h('div', { class: 'app-cards' });
  const unrunLine = h('p', { class: 'muted small unrun' });
  const topics = h('div', { class: 'table-wrap' });
  const groups = h('div', { class: 'table-wrap' });
  const el = h(
    'div',
    { class: 'page overview' },
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', { text: 'Overview' }),
        h('p', { class: 'muted', text: 'Every pipeline and topic on this broker, live.' }),
      ),
    ),
    tiles,
    chartPanel,
    h('h2', { text: 'Apps' }),
    apps,
    unrunLine,
    h(
      'div',
      { class: 'two-col' },
      h('section', {}, h('h2', { text: 'Topics' }), topics),
      h('section', {}, h('h2', { text: 'Consumer groups' }), groups),
    ),
  );

  let chart: uPlot | undefined;
  let chartTopics = '';
  let logScale = false;
  const unobserve = autosize(chartBox, () => chart);
  const colorOf = (name: string, all: string[]) => PALETTE[Math.max(0, all.indexOf(name)) % PALETTE.length]!;

  const drawApps = (list: AppView[]) => {
    heldApps = undefined;
    // The cards are drawn anew every second: a card's table scrolled sideways (a phone) jumped back to its
    // start each time. Where each was scrolled to is kept by app and put back.
    const scrolled = new Map<string, number>();
    for (const box of apps.querySelectorAll<HTMLElement>('.app-card[data-app] .scroll-x'))
      if (box.scrollLeft > 0) scrolled.set(box.closest<HTMLElement>('.app-card')!.dataset.app!, box.scrollLeft);
    clear(apps);
    const { cards, unrun } = cardsAndUnrun(list);
    // One card that cannot be drawn must not take the others, and the topics and groups below, with it.
    for (const a of cards) apps.appendChild(guarded(a.name, () => appCard(a)));
    unrunLine.hidden = unrun.length === 0;
    unrunLine.textContent =
      unrun.length === 0
        ? ''
        : `Not run on this broker yet: ${unrun.map((a) => a.name).join(', ')}. Start one: runnel run <name>`;
    for (const [app, left] of scrolled) {
      const box = apps.querySelector<HTMLElement>(`.app-card[data-app="${CSS.escape(app)}"] .scroll-x`);
      if (box) box.scrollLeft = left;
    }
  };
  let heldApps: AppView[] | undefined;
  const hold = holdWhileUsed(apps, () => {
    if (heldApps && !hold.busy()) drawApps(heldApps);
  });

  const render = (o: Overview) => {
    el.setAttribute('data-loaded', 'true');
    // On Kafka the counts are of offsets, and transaction markers take some (see Overview.unit).
    const markers = o.unit === 'offsets';
    const Unit = markers ? 'Offsets' : 'Records';
    clear(tiles);
    const declared = o.apps.filter((a) => a.declared).length;
    tiles.append(
      tile(`${Unit}/s`, fmtRate(o.totals.rate).replace('/s', ''), 'all topics'),
      tile(
        Unit,
        fmtCompact(o.totals.records),
        markers ? 'on data topics, transaction markers included' : 'on data topics',
      ),
      tile('Apps running', `${o.totals.running}`, `of ${Math.max(declared, o.apps.length)}`),
      tile(
        'Max lag',
        fmtCompact(o.totals.maxLag),
        o.totals.behind > 0
          ? `${o.unit}; ${o.totals.behind} group${o.totals.behind > 1 ? 's' : ''} falling behind`
          : `${o.unit} behind`,
        o.totals.behind > 0 ? 'warn' : '',
      ),
      tile(
        'Dead letters',
        fmtCompact(o.totals.dlq),
        markers ? 'offsets of records that failed' : 'records that failed',
        o.totals.dlq > 0 ? 'bad' : '',
      ),
    );
    // The busiest few only: a cluster with a hundred topics made a legend that covered the page.
    const all = o.topics.filter((t) => !t.internal && !t.name.endsWith('.dlq'));
    const activity = (t: TopicStat) => t.history.reduce((sum: number, x) => sum + (x ?? 0), 0);
    const data = [...all]
      .sort((a, b) => activity(b) - activity(a) || a.name.localeCompare(b.name))
      .slice(0, CHART_TOPICS)
      .sort((a, b) => a.name.localeCompare(b.name));
    logScale = wantsLogScale(
      data.map((t) => Math.max(0, ...t.history.map((x) => x ?? 0))),
      logScale,
    );
    chartNote.textContent =
      (all.length > data.length
        ? `${o.unit}/s, last minute: the ${data.length} busiest of ${all.length} topics`
        : `${o.unit}/s, last minute`) + (logScale ? ' (log scale: rates far apart)' : '');
    // A rate takes two looks at a topic a second apart, and a new broker has no records to rate.
    const waiting = o.totals.records === 0 || data.every((t) => t.history.length === 0);
    chartPanel.setAttribute('data-empty', String(waiting));
    chartEmpty.textContent =
      o.totals.records === 0 ? 'Waiting for the first records…' : 'Measuring the rates: a point a second…';
    const names = data.map((t) => t.name);
    const n = Math.max(2, ...data.map((t) => t.history.length));
    const now = o.ts / 1000;
    const xs = Array.from({ length: n }, (_, i) => now - (n - 1 - i));
    const linear = data.map((t) => [...Array(n - t.history.length).fill(null), ...t.history] as Array<number | null>);
    const series = logScale ? linear.map(forLog) : linear;
    const key = `${logScale}\n${names.join('\n')}`;
    if (!chart || chartTopics !== key) {
      chart?.destroy();
      chartTopics = key;
      chart = new uPlot(
        {
          ...boxSize(chartBox),
          series: [
            {},
            // Topics often move together (`buzz.stats` is written once per `buzz` record): drawn solid, the
            // later line hid the earlier one. Each gets its own dash, so a line under another shows through.
            ...names.map((name, i) => ({
              label: name,
              stroke: colorOf(name, names),
              width: 2,
              dash: DASHES[i % DASHES.length],
              fill: alpha(colorOf(name, names), 0.06),
              points: { show: false },
            })),
          ],
          // Always the last minute, so the first seconds after opening do not stretch across the chart.
          scales: {
            x: {
              time: true,
              range: (u) => {
                const xs = u.data[0];
                const end = xs[xs.length - 1] ?? Date.now() / 1000;
                return [end - 60, end];
              },
            },
            y: logScale
              ? { distr: 3, log: 10, range: (_u, lo, hi) => logRange(lo, hi) }
              : { range: (_u, _lo, hi) => [0, Math.max(1, hi * 1.15)] },
          },
          // Below 1 record/s the ticks are fractions: whole-number formatting printed them as 1 1 1 0 0 0.
          axes: [
            timeAxis(),
            axis(`${o.unit}/s`, {
              size: 56,
              // A log axis gets its grid and labels at the powers of ten only (1..9 of each made a dense grid).
              ...(logScale ? { splits: (_u: uPlot, _i: number, lo: number, hi: number) => powersOfTen(lo, hi) } : {}),
              // (a log axis's powers below 1 are 0.1, 0.01…: one decimal would print them all as 0.0)
              values: (_u, t) =>
                t.map((v) =>
                  Number.isInteger(v) ? fmtCompact(v) : logScale ? String(Number(v.toPrecision(1))) : v.toFixed(1),
                ),
            }),
          ],
          legend: {
            show: true,
            live: false,
            markers: { dash: (u: uPlot, i: number) => (u.series[i]?.dash ? 'dashed' : 'solid') },
          },
          cursor: { show: false },
        },
        [xs, ...series] as uPlot.AlignedData,
        chartBox,
      );
    } else chart.setData([xs, ...series] as uPlot.AlignedData);
    // The legend hangs below the plot's fixed box: the panel keeps room for all its lines (eight topics took
    // four on a phone and ran over the Apps heading).
    const legend = chartBox.querySelector<HTMLElement>('.u-legend');
    if (legend) chartWrap.style.paddingBottom = `${legend.offsetHeight + 12}px`;

    if (hold.busy()) heldApps = o.apps;
    else drawApps(o.apps);
    clear(topics);
    topics.appendChild(
      topicTable(
        o.topics.filter((t) => !t.internal),
        names,
        o.unit,
        pausedTopics(o.apps),
      ),
    );
    clear(groups);
    groups.appendChild(groupTable(o.groups));
  };

  const stream = live('/api/live/overview', {}, { overview: render });
  return {
    el,
    destroy() {
      stream.close();
      hold.dispose();
      unobserve();
      chart?.destroy();
    },
  };
}

function tile(label: string, value: string, note: string, tone = ''): HTMLElement {
  return h(
    'div',
    { class: `tile ${tone}`.trim() },
    h('div', { class: 'tile-label', text: label }),
    h('div', { class: 'tile-value', text: value }),
    h('div', { class: 'tile-note', text: note }),
  );
}

function appCard(a: AppView): HTMLElement {
  const hl = appHealth(a);
  const title = a.declared
    ? h('a', { href: `#/apps/${encodeURIComponent(a.name)}`, text: a.title })
    : h('span', { text: a.title });
  return h(
    'section',
    { class: 'app-card', 'data-app': a.name, 'data-running': String(a.running) },
    h(
      'header',
      {},
      h('div', {}, h('h3', {}, title), h('div', { class: 'muted small', text: a.name })),
      h(
        'div',
        { class: 'app-badges' },
        a.dlq > 0 ? h('span', { class: 'pill bad', text: `${fmtInt(a.dlq)} dead letters` }) : null,
        h('span', { class: `pill ${hl.tone}`, text: hl.label }),
      ),
    ),
    a.components.length === 0
      ? h('p', {
          class: 'muted small last-run',
          // Components are forgotten ten minutes after they stop; when the app last ran is still worth saying.
          text:
            a.lastSeen !== undefined
              ? `Last ran ${fmtAgo(a.lastSeen)} (${fmtDateTime(a.lastSeen)}). Run it again: runnel run ${a.name}`
              : `No pipeline has reported yet. Start one: runnel run ${a.name}`,
        })
      : h(
          'div',
          { class: 'scroll-x' },
          h(
            'table',
            { class: 'grid compact' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                // Each component's counts are its run's: a rerun of a finished replay reads 0 beside a full topic.
                ...['', 'component', 'state', 'records this run', 'dead letters', 'target · last error'].map((t, i) =>
                  h('th', {
                    class: NARROW_HIDDEN[i] ?? '',
                    text: t,
                    ...(i === 3 || i === 4
                      ? { title: "since this component's process started; a topic's total is on the Topics page" }
                      : {}),
                  }),
                ),
              ),
            ),
            h('tbody', {}, ...a.components.flatMap(componentRows)),
          ),
        ),
  );
}

/** A component's row, and for a source that replays on a schedule, a row of its controls below it. */
function componentRows(c: ComponentView): HTMLElement[] {
  const row = componentRow(c);
  if (!canControl(c, c.stale)) return [row];
  row.classList.add('has-controls');
  return [
    row,
    h(
      'tr',
      { class: 'controls-row', 'data-controls': `${c.component}/${c.name}` },
      h('td', { class: NARROW_HIDDEN[0] }),
      h('td', { colspan: 5 }, replayControls(c)),
    ),
  ];
}

function componentRow(c: ComponentView): HTMLElement {
  const control = canControl(c, c.stale);
  const state = c.stale && !ended(c.state) ? 'stale' : control && c.paused && c.state === 'ok' ? 'paused' : c.state;
  const tone =
    {
      ok: 'good',
      done: 'idle',
      stopped: 'idle',
      starting: 'idle',
      retrying: 'warn',
      failed: 'bad',
      stale: 'warn',
      paused: 'warn',
    }[state] ?? 'idle';
  const note = c.lastError ?? c.target ?? c.topics.join(', ');
  // A file target shows its file name first: the folder is every sink's same data folder, and a cut
  // path (/tmp/demo/data/buzz.duck…) hid the part that tells the sinks apart. The whole path is the title.
  const shown = c.lastError === undefined && c.target !== undefined ? fileFirst(c.target) : note;
  return h(
    'tr',
    { 'data-component': `${c.component}/${c.name}`, 'data-state': state },
    h('td', { class: NARROW_HIDDEN[0] }, h('span', { class: `kind ${c.component}`, text: c.component })),
    h(
      'td',
      { class: 'component' },
      h('div', { class: 'component-name', text: c.name, title: c.name }),
      h('div', { class: 'muted small', text: `pid ${c.pid} · ${fmtAgo(c.ts)}` }),
      engineLine(c),
    ),
    h('td', {}, h('span', { class: `pill ${tone}`, text: state })),
    h('td', { class: 'num', text: fmtInt(c.records) }),
    h('td', { class: `num ${NARROW_HIDDEN[4]} ${c.dlq > 0 ? 'bad-text' : ''}`, text: fmtInt(c.dlq) }),
    // Wrapped, not cut: at 1280 px the column had 80 px and every stopcovid sink read `stopcovi…`. A target
    // breaks after its dots and slashes; an error (free text) wraps at its spaces, three lines at most.
    c.lastError === undefined
      ? h('td', { class: 'target muted', title: note }, ...breakable(shown))
      : h('td', { class: 'target bad-text', title: note }, h('div', { class: 'clamp', text: shown })),
  );
}

/** `/a/b/buzz.duckdb (table t)` → `buzz.duckdb (table t)`; anything that is not an absolute path as it is. */
export function fileFirst(target: string): string {
  const m = /^(\/(?:[^/\s]+\/)+)([^/]+)$/.exec(target);
  return m ? m[2]! : target;
}

function guarded(name: string, draw: () => HTMLElement): HTMLElement {
  try {
    return draw();
  } catch (err) {
    console.warn(`overview: ${name}: ${(err as Error).message}`);
    return h(
      'section',
      { class: 'app-card', 'data-app': name },
      h('h3', { text: name }),
      h('p', { class: 'muted', text: "this app's status could not be shown" }),
    );
  }
}

/** Event time before this (2001) is a clock counted from 0 (a simulation's ticks), not a date. */
const DATES_FROM_MS = 1e12;

/**
 * A stateful processor's event-time progress: its watermark and the records that came too late. A run whose
 * input ended moves its watermark past any time (to the largest safe integer), which no Date can show: the
 * page threw "Invalid time value" and drew no app after it.
 */
function engineLine(c: ComponentView): HTMLElement | null {
  if (c.watermark === undefined && !c.late && !c.unjoined) return null;
  const when = c.watermark === undefined ? Number.NaN : new Date(c.watermark).getTime();
  const wm =
    c.watermark === undefined
      ? 'no watermark yet'
      : Number.isNaN(when)
        ? 'watermark at the end (its input ended)'
        : when < DATES_FROM_MS
          ? `watermark at ${fmtInt(Math.floor(when / 1000))} s of event time`
          : `watermark ${new Date(when).toISOString().replace('T', ' ').slice(0, 19)}`;
  const late = c.late ? ` · ${fmtInt(c.late)} late` : '';
  // An inner join's drops, counted: no table value for their key (see the join in the README).
  const unjoined = c.unjoined ? ` · ${fmtInt(c.unjoined)} not joined` : '';
  return h('div', {
    class: `muted small ${c.late || c.unjoined ? 'warn-text' : ''}`,
    'data-watermark': String(c.watermark ?? ''),
    ...(c.unjoined
      ? {
          'data-unjoined': String(c.unjoined),
          title: 'stream records an inner join dropped: no table value for their key',
        }
      : {}),
    text: `${wm}${late}${unjoined}`,
  });
}

/**
 * Topics whose every live source is paused (a replay's Pause): their rate reads "paused", not the last
 * few seconds' rate that the server's window still holds. A topic that another source still feeds keeps
 * its rate.
 */
function pausedTopics(apps: AppView[]): Set<string> {
  const sources = apps
    .flatMap((a) => a.components)
    .filter((c) => c.component === 'source' && !c.stale && !ended(c.state));
  const feeding = new Set(sources.filter((c) => !c.paused).flatMap((c) => c.topics));
  return new Set(
    sources
      .filter((c) => c.paused)
      .flatMap((c) => c.topics)
      .filter((t) => !feeding.has(t)),
  );
}

function topicTable(topics: TopicStat[], charted: string[], unit: Overview['unit'], paused: Set<string>): HTMLElement {
  // Compact, with a narrower sparkline and headers that wrap: in its half of a 1280 px window (the demo's
  // topics) the dead letters column was behind a sideways scroll.
  return h(
    'table',
    { class: 'grid compact wrap-head' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['topic', 'partitions', unit, `${unit}/s`, 'last minute', 'dead letters'].map((t) => h('th', { text: t })),
      ),
    ),
    h(
      'tbody',
      {},
      ...topics.map((t) =>
        h(
          'tr',
          { 'data-topic': t.name },
          h(
            'td',
            {},
            h(
              'a',
              {
                href: `#/topics/${encodeURIComponent(t.name)}`,
                class: t.name.endsWith('.dlq') && t.total > 0 ? 'bad-text' : '',
              },
              // A long name breaks between its parts when the half page is short of room.
              ...breakable(t.name),
            ),
          ),
          h('td', { class: 'num', text: String(t.partitions) }),
          h('td', { class: 'num', text: fmtInt(t.total) }),
          paused.has(t.name)
            ? h('td', { class: 'num warn-text', text: 'paused', title: 'its source is paused: 0/s until resumed' })
            : h('td', { class: 'num', text: fmtRate(t.rate) }),
          h(
            'td',
            {},
            sparkline(
              t.history,
              charted.includes(t.name) ? PALETTE[charted.indexOf(t.name) % PALETTE.length] : undefined,
              72,
            ),
          ),
          h(
            'td',
            { class: 'num' },
            t.dlq > 0
              ? h('a', {
                  class: 'pill bad',
                  href: `#/topics/${encodeURIComponent(`${t.name}.dlq`)}`,
                  text: fmtInt(t.dlq),
                })
              : h('span', { class: 'muted', text: t.name.endsWith('.dlq') ? '–' : '0' }),
          ),
        ),
      ),
    ),
  );
}

/**
 * A group as people tell them apart: without `runnel.` and a sink group's place id (eight hex digits that
 * name its data folder, in the tooltip with the rest). On a phone every name began `buzz.si…`.
 */
export function shownGroup(group: string): string {
  return group.replace(/^runnel\./, '').replace(/^([^.]+\.sink\..+)\.[0-9a-f]{8}$/, '$1');
}

function groupTable(groups: GroupStat[]): HTMLElement {
  if (groups.length === 0) return h('p', { class: 'muted', text: 'No consumer group has committed yet.' });
  return h(
    'table',
    { class: 'grid groups' },
    h('thead', {}, h('tr', {}, ...['group', 'topic', 'committed', 'lag'].map((t) => h('th', { text: t })))),
    h(
      'tbody',
      {},
      ...groups.map((g) =>
        h(
          'tr',
          { 'data-group': g.group },
          h('td', { class: 'ellipsis group-name', title: g.group, text: shownGroup(g.group) }),
          h('td', { class: 'ellipsis', title: g.topic, text: g.topic }),
          h('td', { class: 'num', text: fmtInt(g.committed) }),
          h('td', {
            class: `num ${g.behind ? 'warn-text' : g.lag === 0 ? 'good-text' : ''}`,
            text: fmtInt(g.lag),
            ...(g.behind
              ? {
                  title: `falling behind: more than ${LAG_OK_SECONDS} s of its topic's input and more than ${fmtInt(LAG_OK_RECORDS)} records wait`,
                }
              : {}),
          }),
        ),
      ),
    ),
  );
}
