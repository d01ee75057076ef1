import { canControl } from '../../core/status.ts';
import type { AppInfo, AppSnapshot, ComponentView, Overview, PanelDelta } from '../../server/protocol.ts';
import { live } from '../api.ts';
import { createPanel, type PanelView } from '../charts/index.ts';
import { clear, h } from '../dom.ts';
import { holdWhileUsed, replayControls } from './replay-controls.ts';
import type { View } from './view.ts';

/**
 * The replay controls of the app's running sources (the overview's, for this app only), so a replay can
 * be paused and sped up where its charts are watched. Redrawn with each overview tick, held still while a
 * control is in use.
 */
function replayBar(app: string): { el: HTMLElement; close(): void } {
  const el = h('div', { class: 'app-replay', 'data-replay': app });
  let pending: ComponentView[] | undefined;
  const draw = (sources: ComponentView[]) => {
    pending = undefined;
    clear(el);
    for (const c of sources) {
      el.appendChild(
        h(
          'div',
          { class: 'app-replay-row', 'data-controls': `${c.component}/${c.name}` },
          h('span', { class: 'muted small', text: `${c.name} →` }),
          replayControls(c),
        ),
      );
    }
  };
  const hold = holdWhileUsed(el, () => {
    if (pending && !hold.busy()) draw(pending);
  });
  const stream = live(
    '/api/live/overview',
    {},
    {
      overview: (o: Overview) => {
        const sources = (o.apps.find((a) => a.name === app)?.components ?? []).filter((c) => canControl(c, c.stale));
        if (hold.busy()) pending = sources;
        else draw(sources);
      },
    },
  );
  return {
    el,
    close() {
      stream.close();
      hold.dispose();
    },
  };
}

/**
 * One app's page, built only from its PanelSpecs: alert panels become banners on top, every other
 * panel a card in the grid. The stream starts with a snapshot (history) and continues with deltas.
 */
export function appView(app: AppInfo): View {
  const views = new Map<string, PanelView>();
  const banners = h('div', { class: 'banners' });
  const grid = h('div', { class: 'panel-grid' });
  for (const spec of app.panels) {
    const view = createPanel(spec);
    views.set(spec.id, view);
    (spec.type === 'alert' ? banners : grid).appendChild(view.el);
  }
  if (app.panels.length === 0) {
    // A pipeline of one's own starts without panels: say so, rather than show an empty page.
    grid.appendChild(
      h('p', {
        class: 'muted',
        text: `${app.name} declares no panels: add panels to its defineApp (see the README's guide), or follow its records under Topics.`,
      }),
    );
  }
  const topics = [...new Set(app.panels.map((p) => p.topic))];
  const replay = replayBar(app.name);
  const el = h(
    'div',
    { class: 'page app-page', 'data-app': app.name },
    h(
      'div',
      { class: 'page-head' },
      h('div', {}, h('h1', { text: app.title }), h('p', { class: 'muted', text: app.description })),
      h(
        'div',
        { class: 'topic-links' },
        ...(topics.length > 0 ? [h('span', { class: 'muted', text: 'topics' })] : []),
        ...topics.map((t) => h('a', { class: 'tag', href: `#/topics/${encodeURIComponent(t)}`, text: t })),
      ),
    ),
    replay.el,
    banners,
    grid,
  );
  const stream = live(
    `/api/live/apps/${encodeURIComponent(app.name)}`,
    {},
    {
      snapshot: (s: AppSnapshot) => {
        for (const [id, data] of Object.entries(s.data)) views.get(id)?.apply(data);
        el.setAttribute('data-loaded', 'true');
      },
      delta: (d: Record<string, PanelDelta>) => {
        for (const [id, delta] of Object.entries(d)) views.get(id)?.delta(delta);
      },
    },
  );
  return {
    el,
    destroy() {
      stream.close();
      replay.close();
      for (const v of views.values()) v.destroy();
    },
  };
}
