import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempBroker } from '../../test/dashboard/fixtures.ts';
import { smokerApp } from '../apps/smoker/index.ts';
import { type ComponentStatus, STATUS_TOPIC } from '../core/status.ts';
import { OverviewModel } from './overview.ts';
import { Tailer } from './tailer.ts';

const status = (name: string, lastActivity: number): ComponentStatus => ({
  app: 'smoker',
  pipeline: 'p1',
  pid: 1,
  component: 'sink',
  name,
  topics: ['smoker.alerts'],
  state: 'ok',
  records: 0,
  dlq: 0,
  ts: lastActivity,
});

test('stale means the component went silent, not that its topic is quiet', async () => {
  const { broker } = await tempBroker();
  const now = Date.now();
  await broker.produce(STATUS_TOPIC, [
    // Idle for a minute (no stall yet) but still reporting every second: alive.
    { key: 'a', value: status('idle-but-alive', now - 60_000), timestamp: now },
    // Its last report is 30 s old: the process is gone.
    { key: 'b', value: status('silent', now - 30_000), timestamp: now - 30_000 },
  ]);
  const tailer = new Tailer(broker);
  const model = new OverviewModel(broker, []);
  await model.start(tailer);
  const view = await model.refresh(now + 500);
  const components = view.apps.flatMap((a) => a.components);
  assert.deepEqual(components.map((c) => [c.name, c.stale]).sort(), [
    ['idle-but-alive', false],
    ['silent', true],
  ]);
  model.stop();
  await broker.close();
});

test('an app that ran 20 minutes ago says when it last reported, though its components are forgotten', async () => {
  const { broker } = await tempBroker();
  const now = Date.now();
  const ranAt = now - 20 * 60_000;
  await broker.produce(STATUS_TOPIC, [
    { key: 'a', value: { ...status('sqlite', ranAt), state: 'done' }, timestamp: ranAt },
  ]);
  // A busy app since then: more status records than the dashboard's tail keeps as history.
  await broker.produce(
    STATUS_TOPIC,
    Array.from({ length: 1200 }, (_, i) => ({
      key: 'b',
      value: { ...status('generator', now - 1000 + i), app: 'buzz', component: 'source' as const },
      timestamp: now - 1000 + i,
    })),
  );
  const tailer = new Tailer(broker);
  const model = new OverviewModel(broker, [smokerApp]);
  await model.start(tailer);
  const view = await model.refresh(now);
  const smoker = view.apps.find((a) => a.name === 'smoker');
  assert.equal(smoker?.components.length, 0, 'forgotten after ten minutes');
  assert.equal(smoker?.running, false);
  assert.equal(smoker?.lastSeen, ranAt);
  model.stop();
  await broker.close();
});
