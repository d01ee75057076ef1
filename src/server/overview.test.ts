import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempBroker } from '../../test/dashboard/fixtures.ts';
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
