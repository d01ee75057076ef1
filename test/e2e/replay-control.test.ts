/**
 * Replay controls through the real CLI (issue 11): `runnel run smoker` replays its CSV by event time; a
 * pause sent on the control topic (as the dashboard sends it, from another process) stops production,
 * a resume starts it again where it stopped, a speed change applies, and Ctrl-C still works while paused.
 * On `local:` always, and on a real Kafka when one answers (with a topic of its own and the command
 * addressed to this run's pipeline only: other people's pipelines share that broker's control topic).
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { createBroker } from '../../src/core/broker-registry.ts';
import '../../src/brokers/index.ts';
import type { Broker } from '../../src/core/broker.ts';
import { type ControlCommand, sendControl } from '../../src/core/control.ts';
import { type ComponentStatus, STATUS_TOPIC } from '../../src/core/status.ts';
import { unique } from '../broker-conformance/suite.ts';
import { startCli, workspace } from '../helpers/cli.ts';
import { needService } from '../helpers/services.ts';
import { KAFKA_HOW, KAFKA_URL, kafkaAvailable } from '../kafka/env.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function pauseResumeStop(t: TestContext, brokerUrl: string): Promise<void> {
  const ws = workspace('runnel-control-');
  const flags = ws.flags.map((f) => (f === ws.broker ? brokerUrl : f));
  const broker: Broker = await createBroker(brokerUrl);
  await broker.connect();
  t.after(() => broker.close());
  const topic = unique('smoker');
  const endOf = async () =>
    ((await broker.describeTopic(topic))?.partitions ?? []).reduce((n, p) => n + p.endOffset, 0);

  // Status records from now on; the newest of this run's csv source is kept.
  await broker.createTopic(STATUS_TOPIC, {});
  const statusFrom = new Map(
    ((await broker.describeTopic(STATUS_TOPIC))?.partitions ?? []).map((p) => [p.partition, p.endOffset]),
  );
  let status: ComponentStatus | undefined;
  const sourceStatus = async (): Promise<ComponentStatus | undefined> => {
    for (const [partition, from] of statusFrom) {
      for (const r of await broker.read(STATUS_TOPIC, partition, from, 1000)) {
        statusFrom.set(partition, r.offset + 1);
        const s = r.value as ComponentStatus;
        if (s.pid === child.pid && s.component === 'source') status = s;
      }
    }
    return status;
  };

  // 600× the sample's one reading a minute: ten records a second, for about a minute.
  const child = startCli(['run', 'smoker', '--speed', '600', '--sinks', 'jsonl', ...flags], {
    cwd: ws.dir,
    env: { SMOKER_TOPIC: topic },
  });
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exit = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on('exit', (code) => resolve({ code, at: Date.now() })),
  );

  const started = await until('the source to report it can be controlled', async () => {
    const s = await sourceStatus();
    return s?.speed !== undefined && (await endOf()) >= 5 && s;
  });
  assert.equal(started.speed, 600);
  assert.equal(started.pacing, 'event-time');
  assert.equal(started.paused, false);
  const send = (c: Pick<ControlCommand, 'command' | 'speed'>) =>
    sendControl(broker, { app: 'smoker', pipeline: started.pipeline, source: 'csv', ...c } as ControlCommand);

  await send({ command: 'pause' });
  await until('the status to say paused', async () => (await sourceStatus())?.paused === true);
  // A batch already past its wait when the pause came may still land: let it, then watch.
  await sleep(300);
  const held = await endOf();
  const watchFrom = Date.now();
  while (Date.now() - watchFrom < 1500) {
    assert.equal(await endOf(), held, `a record was produced ${Date.now() - watchFrom} ms into the pause`);
    await sleep(100);
  }

  await send({ command: 'resume' });
  await until('records after resume', async () => (await endOf()) > held, 5000);
  assert.equal((await sourceStatus())?.paused, false);

  // Faster: at ×6000 a second brings about 100 records, far more than the ~10 at ×600.
  await send({ command: 'speed', speed: 6000 });
  await until('the new speed in the status', async () => (await sourceStatus())?.speed === 6000);
  const before = await endOf();
  await sleep(1000);
  const perSecond = (await endOf()) - before;
  assert.ok(perSecond > 30, `${perSecond} records in a second at ×6000`);

  await send({ command: 'pause' });
  await until('paused again', async () => (await sourceStatus())?.paused === true);
  const stopAt = Date.now();
  child.kill('SIGINT');
  const { code, at } = await exit;
  assert.equal(code, 0, stderr);
  // Sources stop at once; consumers catch up for 3 s at most (README).
  assert.ok(at - stopAt < 5000, `exited ${at - stopAt} ms after Ctrl-C while paused`);
  assert.match(stderr, /csv: paused/);
  assert.match(stderr, /csv: resumed/);
}

test(
  'local: pause holds the topic still, resume moves it again, Ctrl-C stops a paused run',
  { timeout: 120_000 },
  (t) => pauseResumeStop(t, workspace('runnel-control-broker-').broker),
);

test('kafka: the same through a real Kafka broker', { timeout: 120_000 }, async (t) => {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return;
  await pauseResumeStop(t, KAFKA_URL);
});
