import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadApp } from '../../apps/index.ts';
import { StatusCell } from '../../core/status-cell.ts';
import { appOptions, openBroker, type PipelineFlags } from '../context.ts';
import { SinkThreads } from './host.ts';

test('a sink handed to a thread after the pipeline stopped ends at once, and the thread closes', {
  timeout: 60_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-sink-thread-'));
  const flags: PipelineFlags = {
    broker: `local:${join(dir, 'broker.db')}`,
    dataDir: join(dir, 'data'),
    sinks: 'jsonl',
  };
  const broker = await openBroker(flags, {});
  const app = await loadApp('buzz');
  const spec = await app.build(appOptions(flags, {}));
  for (const b of spec.sinks) await broker.createTopic(b.topic);
  const threads = new SinkThreads({ app: 'buzz', flags, env: {} }, 1);
  const stopped = new AbortController();
  stopped.abort();
  const sinks = spec.sinks.map((binding, index) => {
    const status = new StatusCell({
      app: 'buzz',
      pipeline: 'p',
      pid: process.pid,
      component: 'sink',
      name: binding.sink.name,
      topics: [binding.topic],
    });
    return { status, hosted: threads.host({ binding, index, status, signal: stopped.signal })! };
  });
  // Ended, not waiting forever for records it will never be asked to write.
  const outcome = await Promise.race([
    Promise.all(sinks.map((s) => s.hosted.run())).then(() => 'ended'),
    new Promise((r) => setTimeout(() => r('still running'), 20_000)),
  ]);
  assert.equal(outcome, 'ended');
  for (const s of sinks) assert.notEqual(s.status.status.state, 'failed', s.status.status.lastError ?? '');
  await threads.close();
  await broker.close();
});
