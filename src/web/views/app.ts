import type { AppInfo, AppSnapshot, PanelDelta } from '../../server/protocol.ts';
import { live } from '../api.ts';
import { createPanel, type PanelView } from '../charts/index.ts';
import { h } from '../dom.ts';
import type { View } from './view.ts';

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
  const topics = [...new Set(app.panels.map((p) => p.topic))];
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
        h('span', { class: 'muted', text: 'topics' }),
        ...topics.map((t) => h('a', { class: 'tag', href: `#/topics/${encodeURIComponent(t)}`, text: t })),
      ),
    ),
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
      for (const v of views.values()) v.destroy();
    },
  };
}
