import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { LocalBroker } from '../brokers/local/local-broker.ts';
import { STATUS_TOPIC } from '../core/status.ts';
import { otherRunningPids } from './already-running.ts';

test('the processes running an app now are those whose newest status is recent and not ended', async () => {
  const b = new LocalBroker('local::memory:');
  await b.connect();
  try {
    const now = 1_800_000_000_000;
    assert.deepEqual(await otherRunningPids(b, 'buzz', now), [], 'no status topic yet: nobody');
    await b.createTopic(STATUS_TOPIC);
    const status = (pid: number, pipeline: string, ts: number, state: string, app = 'buzz', component = 'source') => ({
      key: `${app}/${component}/generator`,
      value: { app, pipeline, pid, component, name: 'generator', topics: [], state, records: 0, dlq: 0, ts },
    });
    await b.produce(STATUS_TOPIC, [
      status(11, 'a', now - 1000, 'ok'), // running
      status(12, 'b', now - 60_000, 'ok'), // silent for a minute: gone (killed)
      status(13, 'c', now - 3000, 'ok'),
      status(13, 'c', now - 1000, 'stopped'), // its newest status says it stopped
      status(14, 'd', now - 500, 'ok', 'smoker'), // another app
      status(15, 'e', now - 500, 'ok', 'buzz', 'sink'), // a consume of buzz
    ]);
    assert.deepEqual(await otherRunningPids(b, 'buzz', now), [11, 15]);
    assert.deepEqual(await otherRunningPids(b, 'smoker', now), [14]);
    // By what they run: a produce (sources) is not a worker of the consume side, and the other way round.
    assert.deepEqual(await otherRunningPids(b, 'buzz', now, ['processor', 'sink']), [15]);
    assert.deepEqual(await otherRunningPids(b, 'buzz', now, ['source']), [11]);
  } finally {
    await b.close();
  }
});

test('a process of this machine that is gone (kill -9 a second ago) is not running, whatever its last status says', async () => {
  const b = new LocalBroker('local::memory:');
  await b.connect();
  try {
    const now = Date.now();
    await b.createTopic(STATUS_TOPIC);
    // A pid that was a process and has exited.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    const status = (app: string, pid: number, pipeline: string, host?: string) => ({
      key: `${app}/source/${pipeline}`,
      value: {
        app,
        pipeline,
        pid,
        ...(host === undefined ? {} : { host }),
        component: 'source',
        name: pipeline,
        topics: [],
        state: 'ok',
        records: 0,
        dlq: 0,
        ts: now - 500,
      },
    });
    await b.produce(STATUS_TOPIC, [
      status('buzz', gone, 'killed', hostname()),
      status('buzz', process.pid, 'alive', hostname()),
      // Another machine's pid says nothing here; nor does a status without a host (written before hosts).
      status('smoker', gone, 'elsewhere', `not-${hostname()}`),
      status('smoker', gone, 'older', undefined),
    ]);
    assert.deepEqual(await otherRunningPids(b, 'buzz', now), [process.pid]);
    assert.deepEqual(await otherRunningPids(b, 'smoker', now), [gone]);
  } finally {
    await b.close();
  }
});
