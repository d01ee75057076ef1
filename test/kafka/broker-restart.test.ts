/**
 * The broker goes away mid-run and comes back: operations fail with retriable BROKER_UNAVAILABLE (so the
 * runtime backs off), the same broker and consumer objects resume, and nothing committed or produced is
 * lost. Uses its own Kafka on another port so the shared test broker is never stopped.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KafkaBroker } from '../../src/brokers/kafka/kafka-broker.ts';
import { kafkaStatus, startKafka, stopKafka } from '../../src/brokers/kafka/server.ts';
import { isRunnelError } from '../../src/core/errors.ts';
import type { StreamRecord } from '../../src/core/record.ts';
import { runCli, sqliteRows, startCli, workspace } from '../helpers/cli.ts';
import { needService } from '../helpers/services.ts';

const PORT = Number(process.env.RUNNEL_TEST_KAFKA_RESTART_PORT ?? 19392);
const hasJava = spawnSync('java', ['-version']).status === 0;

/** What the runtime's `retrying` does: retry retriable errors with a pause, fail on anything else. */
async function retrying<T>(fn: () => Promise<T>, errors: unknown[], timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isRunnelError(err) || !err.retriable || Date.now() > deadline) throw err;
      errors.push(err);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

test('Kafka stopped and restarted mid-run: retriable errors, then everything resumes with no loss', {
  timeout: 240_000,
}, async (t) => {
  if (!needService(t, 'java', hasJava, 'apt-get install -y openjdk-17-jre-headless')) return;
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-kafka-restart-'));
  const server = { port: PORT, dataDir };
  const first = await startKafka(server);
  assert.equal(first.ready, true);
  t.after(() => stopKafka(server));
  assert.equal((await kafkaStatus(server)).running, true);

  const b = new KafkaBroker(`kafka://127.0.0.1:${PORT}`);
  await b.connect();
  t.after(() => b.close());
  const topic = 'restart';
  await b.createTopic(topic, { partitions: 2 });
  await b.produce(
    topic,
    Array.from({ length: 1000 }, (_, i) => ({ key: `k${i % 10}`, value: { i } })),
  );

  const c = b.consumer({ group: 'restart-g', topics: [topic] });
  t.after(() => c.close());
  const seen = new Map<string, StreamRecord>();
  const take = (records: StreamRecord[]) => {
    for (const r of records) seen.set(`${r.partition}:${r.offset}`, r);
  };
  while (seen.size < 500) take(await c.poll({ maxRecords: 100 }));
  const committed = new Map<number, number>();
  for (const r of seen.values()) committed.set(r.partition, Math.max(committed.get(r.partition) ?? 0, r.offset + 1));
  await c.commit([...committed].map(([partition, offset]) => ({ topic, partition, offset })));

  const stopped = await stopKafka(server);
  assert.equal(stopped.stopped, true);
  assert.equal((await kafkaStatus(server)).ready, false);

  // While it is down: produce fails, retriably, naming the address.
  await assert.rejects(
    b.produce(topic, [{ value: 'while-down' }]),
    (e: unknown) =>
      isRunnelError(e) &&
      e.retriable &&
      e.code === 'RUNNEL_BROKER_UNAVAILABLE' &&
      e.message.includes(`127.0.0.1:${PORT}`),
  );
  const pollErrors: unknown[] = [];
  let emptyAfterError = 0;
  // Long enough for the client's heartbeats to fail and a rejoin to start, which outlasts a poll.
  const downUntil = Date.now() + 8000;
  while (Date.now() < downUntil) {
    try {
      const got = await c.poll({ maxRecords: 100, maxWaitMs: 200 });
      take(got); // records fetched before the stop still come out
      if (pollErrors.length > 0 && got.length === 0) emptyAfterError++;
    } catch (err) {
      pollErrors.push(err);
      await new Promise((r) => setTimeout(r, 300)); // the runtime's backoff
    }
  }
  assert.ok(pollErrors.length > 0, 'polls while down fail');
  assert.ok(
    pollErrors.every((e) => isRunnelError(e) && e.retriable),
    'every poll error while down is retriable',
  );
  // An empty batch would read as a recovery (the runtime logged "recovered" every second while down).
  assert.equal(emptyAfterError, 0, 'once failing, polls keep failing until the broker is back');

  const again = await startKafka(server);
  assert.equal(again.ready, true);
  const errors: unknown[] = [];
  await retrying(
    () =>
      b.produce(
        topic,
        Array.from({ length: 1000 }, (_, i) => ({ key: `k${i % 10}`, value: { i: 1000 + i } })),
      ),
    errors,
  );
  const deadline = Date.now() + 90_000;
  while (seen.size < 2000 && Date.now() < deadline) take(await retrying(() => c.poll({ maxRecords: 500 }), errors));
  assert.equal(seen.size, 2000, 'every record produced before and after the restart is consumed');
  const values = new Set([...seen.values()].map((r) => (r.value as { i: number }).i));
  assert.equal(values.size, 2000);
  const info = await b.describeTopic(topic);
  assert.equal(
    info?.partitions.reduce((n, p) => n + p.endOffset, 0),
    2000,
    'the failed produce while down wrote nothing',
  );
});

test('runnel run with Kafka stopped and restarted mid-run: the source waits, the run completes, sinks exact', {
  timeout: 240_000,
}, async (t) => {
  if (!needService(t, 'java', hasJava, 'apt-get install -y openjdk-17-jre-headless')) return;
  const server = { port: PORT, dataDir: mkdtempSync(join(tmpdir(), 'runnel-kafka-restart-run-')) };
  assert.equal((await startKafka(server)).ready, true);
  t.after(() => stopKafka(server));
  const url = `kafka://127.0.0.1:${PORT}`;
  const ws = workspace('runnel-kafka-restart-run-');
  const N = 6000;
  const args = ['run', 'buzz', '--limit', String(N), '--rate', '1000', '--sinks', 'sqlite', '--broker', url];
  const run = startCli([...args, ...ws.flags.slice(2)]);
  let stderr = '';
  run.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => run.on('close', (code) => resolve(code)));
  t.after(() => run.kill('SIGKILL'));
  const db = join(ws.dir, 'data', 'buzz.sqlite');
  const rows = (sql = 'SELECT count(*) AS n FROM streamed_messages') => {
    try {
      return sqliteRows<{ n: number }>(db, sql)[0]!.n;
    } catch {
      return 0; // the table appears with the first write
    }
  };
  const deadline = Date.now() + 60_000;
  while (rows() < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(rows() >= 1000, `the run got going before the stop (${rows()} rows; ${stderr})`);
  assert.equal((await stopKafka(server)).stopped, true);
  await new Promise((r) => setTimeout(r, 4000));
  // An empty poll while the broker is away is no recovery (it used to be logged as one, again and again).
  assert.doesNotMatch(stderr, /recovered/, 'nothing claims to have recovered while the broker is down');
  // The consumers meet the outage in a poll or in the commit of the batch in hand, whichever comes first.
  assert.match(stderr, /(poll|commit): RUNNEL_BROKER_UNAVAILABLE: .*\(retrying\)/);
  assert.equal((await startKafka(server)).ready, true);
  const code = await exited;
  assert.equal(code, 0, stderr);
  // The source said what it waited for, with the address, instead of exiting.
  assert.match(stderr, new RegExp(`produce to buzz: .*127\\.0\\.0\\.1:${PORT}.*\\(retrying\\)`));
  assert.equal(rows(), N, 'every produced record reached the sink once');
  assert.equal(rows('SELECT count(DISTINCT _offset) AS n FROM streamed_messages'), N);
  const b = new KafkaBroker(url);
  await b.connect();
  t.after(() => b.close());
  const info = await b.describeTopic('buzz');
  assert.equal(
    info?.partitions.reduce((n, p) => n + p.endOffset, 0),
    N,
    'no batch was produced twice',
  );
});

/**
 * Ctrl-C while Kafka is away (a trial's finding): the run printed "stopping" and then retried "drain: end of
 * buzz" for as long as Kafka stayed down, and exited 1 with Kafka's error once it came back. The stop cuts
 * the retries, closes without waiting out the client's own timeouts, and is a stop (exit 0): what the sinks
 * had not written is still on the topic, and a later drain writes it, once.
 */
test('Ctrl-C while Kafka is away: the run stops (exit 0) instead of retrying until Kafka returns; nothing is lost', {
  timeout: 240_000,
}, async (t) => {
  if (!needService(t, 'java', hasJava, 'apt-get install -y openjdk-17-jre-headless')) return;
  const server = { port: PORT, dataDir: mkdtempSync(join(tmpdir(), 'runnel-kafka-away-stop-')) };
  assert.equal((await startKafka(server)).ready, true);
  t.after(() => stopKafka(server));
  const url = `kafka://127.0.0.1:${PORT}`;
  const ws = workspace('runnel-kafka-away-stop-');
  const flags = ['--sinks', 'sqlite', '--broker', url, ...ws.flags.slice(2)];
  const run = startCli(['run', 'buzz', '--rate', '300', ...flags]);
  let stderr = '';
  run.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => run.on('close', (code) => resolve(code)));
  t.after(() => run.kill('SIGKILL'));
  const db = join(ws.dir, 'data', 'buzz.sqlite');
  const rows = () => {
    try {
      return sqliteRows<{ n: number }>(db, 'SELECT count(DISTINCT _offset) AS n FROM streamed_messages')[0]!.n;
    } catch {
      return 0;
    }
  };
  const deadline = Date.now() + 60_000;
  while (rows() < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(rows() >= 300, `the run got going (${rows()} rows; ${stderr})`);
  assert.equal((await stopKafka(server)).stopped, true);
  await new Promise((r) => setTimeout(r, 2000));
  run.kill('SIGINT');
  // Far above what the stop takes (the grace, then closes bounded to a few seconds each), far below the
  // client's own retries, which the run used to wait out.
  const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 45_000))]);
  assert.notEqual(code, 'hung', `still running 45 s after Ctrl-C:\n${stderr.slice(-2000)}`);
  assert.equal(code, 0, stderr.slice(-2000));
  assert.doesNotMatch(stderr, /^runnel: RUNNEL_/m, 'no error line for a stop');
  // Kafka back: what the sink had not written is still on the topic, and a drain writes it, each once.
  assert.equal((await startKafka(server)).ready, true);
  const drained = await runCli(['consume', 'buzz', '--drain', ...flags], { timeoutMs: 120_000 });
  assert.equal(drained.code, 0, drained.stderr);
  const b = new KafkaBroker(url);
  await b.connect();
  t.after(() => b.close());
  const produced = (await b.describeTopic('buzz'))?.partitions.reduce((n, p) => n + p.endOffset, 0);
  assert.equal(rows(), produced, 'every record on the topic in the sink, once');
  assert.equal(sqliteRows<{ n: number }>(db, 'SELECT count(*) AS n FROM streamed_messages')[0]!.n, produced);
});
