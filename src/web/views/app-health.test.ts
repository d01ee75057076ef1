import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ComponentKind, ComponentState } from '../../core/status.ts';
import type { AppView, ComponentView } from '../../server/protocol.ts';
import { appHealth, cardsAndUnrun } from './app-health.ts';

const KINDS: ComponentKind[] = ['source', 'processor', 'sink'];
const STATES: ComponentState[] = ['starting', 'ok', 'retrying', 'stopped', 'failed', 'done'];

const component = (component: ComponentKind, state: ComponentState, stale: boolean): ComponentView => ({
  app: 'a',
  pipeline: 'p',
  pid: 1,
  component,
  name: `${component}-x`,
  topics: ['t'],
  state,
  records: 0,
  dlq: 0,
  ts: 0,
  stale,
});

const app = (components: ComponentView[], running: boolean): AppView => ({
  name: 'a',
  title: 'A',
  declared: true,
  running,
  components,
  topics: ['t'],
  dlq: 0,
});

test("an app card's badge follows its components, in the order a reader needs (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(...KINDS), fc.constantFrom(...STATES), fc.boolean()), { maxLength: 6 }),
      (cs) => {
        const components = cs.map(([k, s, stale]) => component(k, s, stale));
        // As the overview model says it: running when a live component has not ended.
        const running = components.some((c) => !c.stale && !['stopped', 'done', 'failed'].includes(c.state));
        const live = components.filter((c) => !c.stale);
        const sources = components.filter((c) => c.component === 'source');
        const want = live.some((c) => c.state === 'failed')
          ? 'failed'
          : live.some((c) => c.state === 'retrying')
            ? 'degraded'
            : running
              ? 'running'
              : components.length === 0
                ? 'not running'
                : sources.length > 0 && sources.every((c) => c.state === 'done')
                  ? 'finished'
                  : 'stopped';
        assert.equal(appHealth(app(components, running)).label, want);
      },
    ),
  );
});

test('a bounded run that read its input to the end is finished; one stopped by Ctrl-C, or a drain alone, stopped', () => {
  const over = (source: ComponentState) =>
    appHealth(
      app(
        [
          component('source', source, false),
          component('processor', 'stopped', false),
          component('sink', 'stopped', false),
        ],
        false,
      ),
    );
  assert.deepEqual(over('done'), { label: 'finished', tone: 'idle' });
  assert.deepEqual(over('stopped'), { label: 'stopped', tone: 'idle' });
  assert.equal(appHealth(app([component('sink', 'stopped', false)], false)).label, 'stopped');
});

test('once an app ran on the broker, the declared apps that never ran get one line, not a card each (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.option(fc.nat(), { nil: undefined })), { maxLength: 7 }),
      (specs) => {
        const apps = specs.map(([hasComponents, lastSeen], i) => ({
          ...app(hasComponents ? [component('sink', 'stopped', false)] : [], false),
          name: `a${i}`,
          ...(lastSeen === undefined ? {} : { lastSeen }),
        }));
        const { cards, unrun } = cardsAndUnrun(apps);
        const ran = apps.filter((a) => a.components.length > 0 || a.lastSeen !== undefined);
        // Every app is shown once, in its order; the never-run ones as cards only while nothing ran.
        assert.deepEqual([...cards, ...unrun].map((a) => a.name).sort(), apps.map((a) => a.name).sort());
        assert.deepEqual(cards, ran.length === 0 ? apps : ran);
        assert.deepEqual(unrun, ran.length === 0 ? [] : apps.filter((a) => !ran.includes(a)));
      },
    ),
  );
});
