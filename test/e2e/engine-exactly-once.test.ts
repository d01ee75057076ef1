/**
 * The engine's guarantees through the real CLI on the local broker: keyed state committed with outputs
 * and positions survives kill -9 at random points, and processes sharing the partitions (one killed and
 * restarted mid-run) give the same results as one process. The check needs no reference run: each key's
 * running count must appear exactly as 1, 2, …, n (a duplicate or a loss breaks the sequence), and the
 * counts must add up to the records produced.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import { SESSION_TIMEOUT_MS } from '../../src/brokers/local/local-consumer.ts';
import { exited, runCli, startCli, stopped, type Workspace, workspace } from '../helpers/cli.ts';
import { localTopicValues } from '../helpers/topic-values.ts';

const FIXTURE = new URL('./fixtures/keyed-counts.ts', import.meta.url).pathname;

/** Every key's counts are exactly 1..n, in order within the key; returns the total. */
function checkExactlyOnce(values: Array<{ key: string; n: number }>): number {
  const seen = new Map<string, number>();
  for (const v of values) {
    const last = seen.get(v.key) ?? 0;
    assert.equal(v.n, last + 1, `key ${v.key}: count ${v.n} after ${last} (a duplicate or a lost record)`);
    seen.set(v.key, v.n);
  }
  return [...seen.values()].reduce((a, b) => a + b, 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** N records produced, then three `consume` processes sharing them (killed when the test ends). */
async function threeWorkers(t: import('node:test').TestContext, prefix: string) {
  const ws = workspace(prefix);
  const N = 30_000;
  const produced = await runCli(['produce', FIXTURE, '--limit', String(N), '--rate', '0', ...ws.flags]);
  assert.equal(produced.code, 0, produced.stderr);
  const workers = [0, 1, 2].map(() => startCli(['consume', FIXTURE, ...ws.flags]));
  t.after(() => {
    for (const w of workers) w.kill('SIGKILL');
  });
  return { ws, N, workers };
}

/** A draining consume finishes the work; every worker stops on SIGTERM; the counts are exactly-once. */
async function drainAndCheck(ws: Workspace, workers: ChildProcess[], N: number): Promise<void> {
  const done = await runCli(['consume', FIXTURE, '--drain', ...ws.flags], { timeoutMs: 120_000 });
  assert.equal(done.code, 0, done.stderr);
  const stops = await Promise.all(workers.map((w) => stopped(w)));
  assert.deepEqual(stops, [true, true, true], 'every worker stops within 60 s of SIGTERM');
  const total = checkExactlyOnce(await localTopicValues<{ key: string; n: number }>(ws.broker, 'kc.counts'));
  assert.equal(total, N);
}

async function countsWritten(brokerUrl: string): Promise<number> {
  const b = new LocalBroker(brokerUrl);
  await b.connect();
  try {
    return ((await b.describeTopic('kc.counts'))?.partitions ?? []).reduce((n, p) => n + p.endOffset, 0);
  } finally {
    await b.close();
  }
}

test('keyed state is exactly-once across kill -9 at random points (local broker)', { timeout: 240_000 }, async () => {
  const ws = workspace('runnel-engine-crash-');
  const N = 30_000;
  const produced = await runCli(['produce', FIXTURE, '--limit', String(N), '--rate', '0', ...ws.flags]);
  assert.equal(produced.code, 0, produced.stderr);
  // Kill points by progress (counts committed to the output topic), not by the clock: a fast machine
  // drained all 30k records before a 400-1600 ms timer fired, and the test then tested no crash.
  const points = Array.from({ length: 4 }, () => Math.floor(N * (0.05 + 0.9 * Math.random()))).sort((a, b) => a - b);
  const watcher = new LocalBroker(ws.broker);
  await watcher.connect();
  const outputs = async () =>
    ((await watcher.describeTopic('kc.counts'))?.partitions ?? []).reduce((n, p) => n + p.endOffset, 0);
  let landed = 0;
  try {
    for (const at of points) {
      const child = startCli(['consume', FIXTURE, '--drain', ...ws.flags]);
      while (child.exitCode === null && child.signalCode === null && (await outputs()) < at) await sleep(2);
      const before = await outputs();
      child.kill('SIGKILL');
      await exited(child);
      // Landed mid-run: killed (not exited by itself) with some of the output still to come.
      if (child.signalCode === 'SIGKILL' && before < N) landed++;
    }
  } finally {
    await watcher.close();
  }
  const last = await runCli(['consume', FIXTURE, '--drain', ...ws.flags], { timeoutMs: 120_000 });
  assert.equal(last.code, 0, last.stderr);
  const total = checkExactlyOnce(await localTopicValues<{ key: string; n: number }>(ws.broker, 'kc.counts'));
  assert.equal(total, N);
  assert.ok(landed >= 1, 'at least one kill -9 landed mid-run (else this tested no crash)');
});

test('three consume processes share 6 partitions; one killed and restarted mid-run changes nothing', {
  timeout: 240_000,
}, async (t) => {
  const { ws, N, workers } = await threeWorkers(t, 'runnel-engine-scale-');
  await sleep(1500);
  workers[1]!.kill('SIGKILL');
  await sleep(500);
  workers[1] = startCli(['consume', FIXTURE, ...ws.flags]);
  await drainAndCheck(ws, workers, N);
});

test('a worker stalled past its session timeout, then resumed, changes nothing (local broker)', {
  timeout: 240_000,
}, async (t) => {
  const { ws, N, workers } = await threeWorkers(t, 'runnel-engine-stall-');
  // Once all three work (each one's first line on stderr comes as it starts) and counts are being written.
  await Promise.all(workers.map((w) => new Promise((r) => w.stderr!.once('data', r))));
  const deadline = Date.now() + 60_000;
  while ((await countsWritten(ws.broker)) < N / 10 && Date.now() < deadline) await sleep(100);
  // Frozen (as a laptop's sleep or a long GC would): the others drop it and take its partitions. Resumed,
  // it must not carry on from what it held before, even for the partitions the group deals it again.
  workers[1]!.kill('SIGSTOP');
  await sleep(SESSION_TIMEOUT_MS + 3000);
  workers[1]!.kill('SIGCONT');
  await sleep(2000);
  await drainAndCheck(ws, workers, N);
});
