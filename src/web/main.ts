import type { Info } from '../server/protocol.ts';
import { ApiError, getJson, initToken, markReachable, onLiveState } from './api.ts';
import { clear, h } from './dom.ts';
import { scrollCues } from './scroll-cue.ts';
import { appView } from './views/app.ts';
import { overviewView } from './views/overview.ts';
import { sqlView } from './views/sql.ts';
import { topicsView } from './views/topics.ts';
import type { View } from './views/view.ts';

/**
 * The page shell: a top bar (overview, topics, one link per app) and hash routes, so the server serves
 * one static page and every view is a bookmarkable URL: #/, #/topics/<name>, #/apps/<name>.
 */
async function boot(): Promise<void> {
  initToken();
  const main = document.getElementById('main')!;
  const nav = document.getElementById('nav')!;
  const conn = document.getElementById('conn')!;
  onLiveState((s) => {
    conn.setAttribute('data-state', s);
    conn.textContent =
      s === 'live' ? 'live' : s === 'idle' ? 'connected' : s === 'connecting' ? 'connecting…' : 'reconnecting…';
  });

  let info: Info;
  try {
    info = await getJson<Info>('/api/info');
  } catch (err) {
    const msg =
      err instanceof ApiError && err.status === 401
        ? 'This dashboard needs its access token. Open the full URL printed by `runnel dashboard` (it ends in ?token=…).'
        : `Cannot reach the runnel server: ${(err as Error).message}. Reload when it is running.`;
    main.appendChild(h('div', { class: 'notice' }, h('h1', { text: 'Not connected' }), h('p', { text: msg })));
    return;
  }
  document.getElementById('broker')!.textContent = `${info.broker.kind} · ${info.broker.url}`;

  const links = [
    { href: '#/', label: 'Overview', match: (r: string) => r === '' },
    { href: '#/topics', label: 'Topics', match: (r: string) => r.startsWith('topics') },
    { href: '#/sql', label: 'SQL', match: (r: string) => r === 'sql' },
    ...info.apps.map((a) => ({
      href: `#/apps/${a.name}`,
      label: a.name,
      match: (r: string) => r === `apps/${a.name}`,
    })),
  ];
  const anchors = links.map((l) => h('a', { href: l.href, text: l.label }));
  nav.append(...anchors);

  scrollCues(main);
  let current: View | undefined;
  const route = () => {
    const r = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
    for (const [i, l] of links.entries()) anchors[i]!.classList.toggle('active', l.match(r));
    current?.destroy();
    clear(main);
    const [section, ...rest] = r.split('/');
    const name = rest.join('/');
    const app = section === 'apps' ? info.apps.find((a) => a.name === name) : undefined;
    if (app) current = appView(app);
    else if (section === 'apps') current = noSuchApp(name, info);
    else if (section === 'topics') current = topicsView(name || undefined);
    else if (section === 'sql') current = sqlView(info);
    else current = overviewView();
    document.title = `${app ? app.title : section === 'topics' ? `Topics${name ? ` · ${name}` : ''}` : section === 'sql' ? 'SQL' : section === 'apps' ? 'No such app' : 'Overview'} · runnel`;
    main.appendChild(current.el);
    markReachable();
  };
  window.addEventListener('hashchange', route);
  route();
}

/** `#/apps/nosuch` used to show the Overview without a word: say so, and link the apps there are. */
function noSuchApp(name: string, info: Info): View {
  const el = h(
    'div',
    { class: 'page notice', 'data-loaded': 'true' },
    h('h1', { text: name ? `No app named “${name}”` : 'Apps' }),
    h('p', { class: 'muted', text: info.apps.length ? 'The apps on this dashboard:' : 'This dashboard has no apps.' }),
    h(
      'ul',
      { class: 'app-links' },
      ...info.apps.map((a) =>
        h('li', {}, h('a', { href: `#/apps/${encodeURIComponent(a.name)}`, text: a.name }), ` · ${a.title}`),
      ),
    ),
  );
  return { el, destroy() {} };
}

void boot();
