/**
 * The same apps on `local:` and on a real Kafka, with only the broker URL changed: same sink counts, same
 * stats, same smoker alerts; and the seeds' two-terminal workflow (producer and consumer processes).
 * Topic names come from the seeds' own .env keys, made unique per run so the shared broker stays clean.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { unique } from '../broker-conformance/suite.ts';
import { duckdbRows, jsonlValues, runCli, sqliteRows, workspace } from '../helpers/cli.ts';
import { needService } from '../helpers/services.ts';
import { KAFKA_HOW, KAFKA_URL, kafkaAvailable } from './env.ts';

const SMOKER_CSV = new URL('../fixtures/seed-data/smoker_temps.csv', import.meta.url).pathname;

async function kafkaWorkspace(t: TestContext) {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return undefined;
  const ws = workspace('runnel-kafka-e2e-');
  const flags = ws.flags.map((f) => (f === ws.broker ? KAFKA_URL : f));
  return { ...ws, broker: KAFKA_URL, flags };
}

interface BuzzLine {
  message: string;
  author: string;
}

async function buzzResult(dir: string, topic: string) {
  const data = join(dir, 'data');
  const sqlite = sqliteRows<{ n: number; ids: number }>(
    join(data, 'buzz.sqlite'),
    'SELECT count(*) AS n, count(DISTINCT id) AS ids FROM streamed_messages',
  )[0]!;
  const duck = await duckdbRows<{ n: bigint }>(
    join(data, 'buzz.duckdb'),
    'SELECT count(*) AS n FROM streamed_messages',
  );
  const lines = jsonlValues<BuzzLine>(join(data, `${topic}.jsonl`));
  const stats = jsonlValues<{ total: number; byAuthor: Record<string, number> }>(join(data, `${topic}.stats.jsonl`));
  return {
    counts: { sqlite: sqlite.n, sqliteIds: sqlite.ids, duckdb: Number(duck[0]!.n), jsonl: lines.length },
    messages: lines.map((l) => `${l.author}|${l.message}`).sort(),
    last: stats.at(-1),
  };
}

test('runnel run buzz --limit 10000 gives the same sink counts and stats on kafka as on local', {
  timeout: 180_000,
}, async (t) => {
  const kws = await kafkaWorkspace(t);
  if (!kws) return;
  const lws = workspace();
  const topic = unique('buzz');
  const args = ['run', 'buzz', '--limit', '10000', '--rate', '0', '--seed', '42'];
  const env = { BUZZ_TOPIC: topic };
  const [local, kafka] = [
    await runCli([...args, ...lws.flags], { env }),
    await runCli([...args, ...kws.flags], { env }),
  ];
  assert.equal(local.code, 0, local.stderr);
  assert.equal(kafka.code, 0, kafka.stderr);
  const l = await buzzResult(lws.dir, topic);
  const k = await buzzResult(kws.dir, topic);
  assert.deepEqual(k.counts, { sqlite: 10000, sqliteIds: 10000, duckdb: 10000, jsonl: 10000 });
  assert.deepEqual(k.counts, l.counts);
  assert.deepEqual(k.messages, l.messages, 'the same seeded messages arrive on both brokers');
  assert.equal(k.last?.total, 10000);
  assert.deepEqual(k.last?.byAuthor, l.last?.byAuthor);
  // The stats topic is written in transactions: its commit markers take offsets but are no records, and
  // verify said a finished run's sinks were behind by them (a drain could not close that gap).
  // (The shared broker holds other tests' topics, which this folder's other apps have not read: only
  // this run's lines count.)
  const verify = await runCli(['verify', ...kws.flags], { env });
  const ours = (verify.stdout + verify.stderr)
    .split('\n')
    .filter((l) => l.includes(`of ${topic}`) || l.includes(`with ${topic}`));
  assert.ok(ours.length >= 4, verify.stdout);
  assert.deepEqual(
    ours.filter((l) => /not (written|processed) yet/.test(l)),
    [],
  );
  // Counted as offsets on Kafka: the stats topic is written in transactions, whose markers take offsets.
  assert.ok(
    ours.some(
      (l) => l.includes(`up to date with ${topic}.stats (`) && /offsets?, transaction markers included/.test(l),
    ),
    verify.stdout,
  );
  // tail -n N: the last N records of each partition, though a commit marker holds the last offset.
  const parse = (out: string) =>
    out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { partition: number; offset: number });
  const all = parse((await runCli(['tail', `${topic}.stats`, '--from-beginning', '--no-follow', ...kws.flags])).stdout);
  const last = parse((await runCli(['tail', `${topic}.stats`, '-n', '1', '--no-follow', ...kws.flags])).stdout);
  const partitions = [...new Set(all.map((r) => r.partition))];
  const expected = partitions.flatMap((p) => all.filter((r) => r.partition === p).slice(-1));
  assert.ok(expected.length > 0);
  assert.deepEqual(
    last.map((r) => `${r.partition}:${r.offset}`).sort(),
    expected.map((r) => `${r.partition}:${r.offset}`).sort(),
  );
});

test('smoker alerts on kafka equal those on local (the seeds smoker_temps.csv)', { timeout: 180_000 }, async (t) => {
  const kws = await kafkaWorkspace(t);
  if (!kws) return;
  const lws = workspace();
  const topic = unique('smoker');
  const args = ['run', 'smoker', '--csv', SMOKER_CSV, '--rate', '0', '--sinks', 'jsonl,sqlite'];
  // Its own app id too: the stall step's group and changelog are named after it, and another file's smoker
  // may run on this broker at the same time (two test files run at once).
  const env = { SMOKER_TOPIC: topic, RUNNEL_APP_ID: unique('smoker-app') };
  const local = await runCli([...args, ...lws.flags], { env });
  const kafka = await runCli([...args, ...kws.flags], { env });
  assert.equal(local.code, 0, local.stderr);
  assert.equal(kafka.code, 0, kafka.stderr);
  const alerts = (dir: string) =>
    jsonlValues<{ type: string; timestamp: string }>(join(dir, 'data', `${topic}.alerts.jsonl`)).map((a) => [
      a.type,
      a.timestamp,
    ]);
  assert.ok(alerts(lws.dir).length > 0, 'the data has a stall');
  assert.deepEqual(alerts(kws.dir), alerts(lws.dir));
  assert.match(kafka.stderr, /STALL DETECTED at 2025-01-01 18:08:00/);
  const readings = sqliteRows<{ n: number }>(
    join(kws.dir, 'data', 'smoker.sqlite'),
    'SELECT count(*) AS n FROM smoker_readings',
  );
  assert.equal(readings[0]!.n, 240);
});

test('producer and consumer in separate processes over kafka: all consumed, in order, lag 0', {
  timeout: 180_000,
}, async (t) => {
  const ws = await kafkaWorkspace(t);
  if (!ws) return;
  const topic = unique('buzz2p');
  const env = { BUZZ_TOPIC: topic };
  const producer = runCli(['produce', 'buzz', '--limit', '3000', '--rate', '3000', '--seed', '7', ...ws.flags], {
    env,
  });
  const consumer = runCli(['consume', 'buzz', '--sinks', 'jsonl,sqlite', ...ws.flags, '--drain'], { env });
  const [p, c1] = await Promise.all([producer, consumer]);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(c1.code, 0, c1.stderr);
  // The first consumer may have drained before the producer finished; a second drain picks up the rest.
  const c2 = await runCli(['consume', 'buzz', '--sinks', 'jsonl,sqlite', ...ws.flags, '--drain'], { env });
  assert.equal(c2.code, 0, c2.stderr);
  const rows = sqliteRows<{ _partition: number; _offset: number; message: string }>(
    join(ws.dir, 'data', 'buzz.sqlite'),
    'SELECT _partition, _offset, message FROM streamed_messages ORDER BY id',
  );
  assert.equal(rows.length, 3000);
  const last = new Map<number, number>();
  for (const row of rows) {
    assert.ok((last.get(row._partition) ?? -1) < row._offset, 'offset order within each partition');
    last.set(row._partition, row._offset);
  }
  const lines = jsonlValues<{ message: string }>(join(ws.dir, 'data', `${topic}.jsonl`));
  assert.equal(lines.length, 3000);
  const groups = await runCli(['groups', ...ws.flags]);
  assert.equal(groups.code, 0, groups.stderr);
  const line = groups.stdout.split('\n').find((l) => l.includes(`sqlite-${topic}`) && l.includes(` ${topic} `));
  assert.ok(line, groups.stdout);
  assert.match(line, /\s0\s*$/, 'lag 0 after draining');
});

test('consume --drain on an empty Kafka topic exits at once (a join in flight at close kept heartbeats alive)', {
  timeout: 120_000,
}, async (t) => {
  const ws = await kafkaWorkspace(t);
  if (!ws) return;
  const env = { BUZZ_TOPIC: unique('empty') };
  for (let i = 0; i < 2; i++) {
    // Killed after 30 s: it used to stay alive until killed, however long that was.
    const r = await runCli(['consume', 'buzz', '--drain', ...ws.flags], { env, timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
  }
});
