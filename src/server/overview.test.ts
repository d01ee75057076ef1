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

test('a restarted app lists each component once; a scale-out sibling that died beside running ones stays', async () => {
  const { broker } = await tempBroker();
  const now = Date.now();
  const run = (pipeline: string, name: string, at: number, state: ComponentStatus['state']) => ({
    key: pipeline,
    value: { ...status(name, at), pipeline, state },
    timestamp: at,
  });
  await broker.produce(STATUS_TOPIC, [
    // First run: stopped with Ctrl-C a minute ago.
    run('first', 'sqlite', now - 70_000, 'ok'),
    run('first', 'sqlite', now - 60_000, 'stopped'),
    // Two workers of the second run side by side; w2 was killed 20 s ago (silent since).
    run('w1', 'sqlite', now - 50_000, 'ok'),
    run('w2', 'sqlite', now - 50_000, 'ok'),
    run('w2', 'sqlite', now - 20_000, 'ok'),
    run('w1', 'sqlite', now - 500, 'ok'),
  ]);
  const tailer = new Tailer(broker);
  const model = new OverviewModel(broker, []);
  await model.start(tailer);
  const view = await model.refresh(now);
  const shown = () =>
    model
      .current()
      .apps.flatMap((a) => a.components)
      .map((c) => `${c.pipeline}:${c.stale ? 'stale' : c.state}`)
      .sort();
  assert.deepEqual(
    view.apps.flatMap((a) => a.components).length,
    2,
    'the stopped first run is replaced; the killed worker is still shown',
  );
  assert.deepEqual(shown(), ['w1:ok', 'w2:stale']);
  // w2 restarted: the dead one is replaced too.
  await broker.produce(STATUS_TOPIC, [run('w2-again', 'sqlite', now + 1000, 'ok')]);
  await tailer.poll();
  await model.refresh(now + 1500);
  assert.deepEqual(shown(), ['w1:ok', 'w2-again:ok']);
  model.stop();
  await broker.close();
});

test('a group is falling behind when more than 10 s of its topic input waits, not when one batch does', async () => {
  const { broker } = await tempBroker();
  const values = (n: number) => Array.from({ length: n }, (_, i) => ({ value: { i } }));
  await broker.createTopic('busy', { partitions: 1 });
  await broker.createTopic('quiet', { partitions: 1 });
  const commitAt = async (group: string, topic: string, offset: number) => {
    const c = broker.consumer({ group, topics: [topic] });
    await c.commit([{ topic, partition: 0, offset }]);
    await c.close();
  };
  // 'quiet' took 5,000 records before and nothing since; 'busy' takes 6,000 a second.
  await broker.produce('quiet', values(5000));
  await commitAt('stuck', 'quiet', 2000); // 3,000 behind, and its topic brings nothing more
  const model = new OverviewModel(broker, []);
  await model.start(new Tailer(broker)); // its first look
  assert.deepEqual(
    model.current().groups.map((g) => g.behind),
    [false],
    'no topic rate known yet at the first look: nobody is called behind',
  );
  const t0 = Date.now();
  await model.refresh(t0);
  await broker.produce('busy', values(6000));
  await model.refresh(t0 + 1000);
  await broker.produce('busy', values(6000));
  await commitAt('one-batch', 'busy', 6000); // 6,000 behind: a second of input
  await commitAt('caught-up', 'quiet', 5000);
  const view = await model.refresh(t0 + 2000);
  const busy = view.topics.find((t) => t.name === 'busy')!;
  assert.ok(busy.rate > 1000, `busy's rate ${busy.rate}`);
  const byGroup = Object.fromEntries(view.groups.map((g) => [g.group, [g.lag, g.behind]]));
  const expected = (lag: number, rate: number) => [lag, lag > Math.max(1000, rate * 10)];
  assert.deepEqual(byGroup, {
    'one-batch': expected(6000, busy.rate),
    stuck: expected(3000, 0),
    'caught-up': expected(0, 0),
  });
  assert.deepEqual(byGroup['one-batch']![1], false);
  assert.deepEqual(byGroup.stuck![1], true);
  assert.equal(view.totals.behind, 1);
  model.stop();
  await broker.close();
});

test('a dashboard started late does not take a sibling first seen at the start of its history for a restart', async () => {
  const { broker } = await tempBroker();
  const now = Date.now();
  const at = (pipeline: string, t: number) => ({
    key: pipeline,
    value: { ...status('sqlite', t), pipeline },
    timestamp: t,
  });
  // The history the dashboard finds begins 30 s ago: w1 was killed just after, w2 runs on (its older
  // reports are older than the history).
  await broker.produce(STATUS_TOPIC, [
    at('w1', now - 30_000),
    at('w2', now - 29_500),
    ...Array.from({ length: 25 }, (_, i) => at('w2', now - 25_000 + i * 1000)),
  ]);
  const model = new OverviewModel(broker, []);
  await model.start(new Tailer(broker));
  const view = await model.refresh(now);
  assert.deepEqual(
    view.apps
      .flatMap((a) => a.components)
      .map((c) => `${c.pipeline}:${c.stale ? 'stale' : 'live'}`)
      .sort(),
    ['w1:stale', 'w2:live'],
  );
  model.stop();
  await broker.close();
});

test('on the local broker every offset is a record: the overview counts records, as many as were produced', async () => {
  const { broker } = await tempBroker();
  const n = 1 + Math.floor(Math.random() * 50);
  await broker.produce(
    'counted',
    Array.from({ length: n }, (_, i) => ({ key: null, value: { i } })),
  );
  const view = await new OverviewModel(broker, []).refresh();
  assert.equal(broker.offsetsAreRecords, true);
  assert.equal(view.unit, 'records');
  const read = await broker.read('counted', 0, 0, 1000);
  assert.equal(view.topics.find((t) => t.name === 'counted')?.total, read.length);
  await broker.close();
});
