/**
 * The oura app on a real Kafka: the seed's producer topic (a daily_activity document per message, no key)
 * read with `--from kafka://…/<topic>` under the seed's OURA_CONSUMER_GROUP_ID, the app's own topics on
 * Kafka too (`--broker kafka://…`); its tables equal those of the same file run on the local broker.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import '../../src/brokers/index.ts';
import { ouraSample } from '../../src/apps/oura/sample.ts';
import { KafkaBroker } from '../../src/brokers/kafka/kafka-broker.ts';
import { unique } from '../broker-conformance/suite.ts';
import { jsonlValues, runCli, sqliteRows, workspace } from '../helpers/cli.ts';
import { needService } from '../helpers/services.ts';
import { KAFKA_HOW, KAFKA_URL, kafkaAvailable } from './env.ts';

/** A table's rows by key, without the sink's own `_partition`/`_offset` columns (they name broker positions). */
function table(dir: string, name: string, key: string): Array<Record<string, unknown>> {
  return sqliteRows<Record<string, unknown>>(
    join(dir, 'data', 'oura.sqlite'),
    `SELECT * FROM ${name} ORDER BY ${key}`,
  ).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('_'))));
}

/**
 * The app's state on Kafka belongs to the app name, whatever OURA_TOPIC says (as a Kafka Streams
 * application.id would): an earlier oura run's fit and weeks would be restored, its watermark making this
 * run's weeks late. Each run starts clean, as the local run does with its fresh broker file.
 */
async function cleanOuraState(kafka: KafkaBroker): Promise<void> {
  for (const old of await kafka.listTopics()) if (old.name.startsWith('oura-')) await kafka.deleteTopic(old.name);
}

function outputs(dir: string, topic: string) {
  const alerts = jsonlValues<Record<string, unknown>>(join(dir, 'data', `${topic}.alerts.jsonl`));
  return {
    days: table(dir, 'oura_days', 'day'),
    weekly: table(dir, 'oura_weekly', 'week'),
    alerts: table(dir, 'oura_alerts', 'id'),
    // Alerts are events, not updates: the log itself, in order (one ring, one partition for the fit).
    alertLog: alerts.map((a) => JSON.stringify(a)),
  };
}

/**
 * The reference (the sample run on the local broker) and a clean Kafka for the same run: the file, the env
 * naming a fresh topic, the local outputs, the connected broker and a workspace whose flags point at Kafka.
 */
async function localThenKafka(t: TestContext, seed: number, days?: number) {
  const sample = ouraSample({ seed, ...(days === undefined ? {} : { days }) });
  const local = workspace('runnel-oura-local-');
  const file = join(local.dir, 'oura.jsonl');
  writeFileSync(file, sample.text);
  const env = { OURA_TOPIC: unique('oura') };
  const l = await runCli(['run', 'oura', '--from', file, '--rate', '0', '--sinks', 'sqlite,jsonl', ...local.flags], {
    env,
  });
  assert.equal(l.code, 0, l.stderr);
  const kafka = new KafkaBroker(KAFKA_URL);
  await kafka.connect();
  t.after(() => kafka.close());
  await cleanOuraState(kafka);
  const ws = workspace('runnel-oura-kafka-');
  const flags = ws.flags.map((f) => (f === ws.broker ? KAFKA_URL : f));
  return { file, env, expected: outputs(local.dir, env.OURA_TOPIC), ws, flags };
}

test("oura on Kafka: --from the seed producer's topic under OURA_CONSUMER_GROUP_ID, the same tables as on local", {
  timeout: 240_000,
}, async (t) => {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return;
  const sample = ouraSample({ seed: 11 });
  const lines = sample.text.trim().split('\n');
  const docs = lines.map((l) => JSON.parse(l) as { day: string });
  assert.ok(new Set(docs.map((d) => d.day)).size < docs.length, 'the sample repeats a day (the latest must win)');

  // The reference: the same file on the local broker.
  const local = workspace('runnel-oura-local-');
  const file = join(local.dir, 'oura.jsonl');
  writeFileSync(file, sample.text);
  const topic = unique('oura');
  const env = { OURA_TOPIC: topic };
  const l = await runCli(['run', 'oura', '--from', file, '--rate', '0', '--sinks', 'sqlite,jsonl', ...local.flags], {
    env,
  });
  assert.equal(l.code, 0, l.stderr);
  const expected = outputs(local.dir, topic);
  assert.equal(expected.days.length, new Set(docs.map((d) => d.day)).size);
  assert.ok(expected.alerts.length > 0, 'the sample has anomalies');

  // The seed producer: each document, unchanged, as a message with no key on OURA_TOPIC's input topic.
  const input = unique('oura_csv');
  const kafka = new KafkaBroker(KAFKA_URL);
  await kafka.connect();
  t.after(() => kafka.close());
  await cleanOuraState(kafka);
  await kafka.createTopic(input);
  await kafka.produce(
    input,
    docs.map((value) => ({ key: null, value })),
  );

  const ws = workspace('runnel-oura-kafka-');
  const flags = ws.flags.map((f) => (f === ws.broker ? KAFKA_URL : f));
  const group = unique('oura_group');
  const k = await runCli(
    [
      'run',
      'oura',
      '--from',
      `${KAFKA_URL}/${input}`,
      '--limit',
      String(docs.length),
      '--sinks',
      'sqlite,jsonl',
      ...flags,
    ],
    { env: { ...env, OURA_CONSUMER_GROUP_ID: group }, timeoutMs: 180_000 },
  );
  assert.equal(k.code, 0, k.stderr);
  const got = outputs(ws.dir, topic);
  assert.deepEqual(got, expected);

  // The seed's group is the one that read the input: it committed every message, and no other group
  // (runnel's default `runnel.source.<topic>.…`) holds a position on that topic.
  const positions = (await kafka.listGroups()).filter((g) => g.topic === input);
  assert.deepEqual([...new Set(positions.map((p) => p.group))], [group]);
  assert.equal(
    positions.reduce((n, p) => n + p.committed, 0),
    docs.length,
  );
  assert.ok(positions.every((p) => p.lag === 0));
});

test('oura in two processes on Kafka: produce, consume --drain, then --final: the same tables as on local', {
  timeout: 240_000,
}, async (t) => {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return;
  const { file, env, expected, ws, flags } = await localThenKafka(t, 12);
  const p = await runCli(['produce', 'oura', '--from', file, '--rate', '0', ...flags], { env });
  assert.equal(p.code, 0, p.stderr);
  const c = await runCli(['consume', 'oura', '--drain', '--sinks', 'sqlite,jsonl', ...flags], {
    env,
    timeoutMs: 180_000,
  });
  assert.equal(c.code, 0, c.stderr);
  // `consume --drain` stops at what the topics hold without saying the input ended (the producer may go
  // on), so the last week stays open: the same figures, not yet final. Every other row is the same.
  const last = expected.weekly.at(-1)!;
  assert.equal(last.final, 1, 'the local run ended its input: every week final');
  const open = structuredClone(expected);
  open.weekly[open.weekly.length - 1] = { ...last, final: 0 };
  assert.deepEqual(outputs(ws.dir, env.OURA_TOPIC), open);
  // `consume --final` says it did: the last week closes, and the tables are the bounded local run's.
  const f = await runCli(['consume', 'oura', '--final', '--sinks', 'sqlite,jsonl', ...flags], {
    env,
    timeoutMs: 180_000,
  });
  assert.equal(f.code, 0, f.stderr);
  assert.match(f.stderr, /--final: the input ended/);
  assert.deepEqual(outputs(ws.dir, env.OURA_TOPIC), expected);
});

test('--from kafka with --limit: the group commits exactly what was copied, and the next run goes on from there', {
  timeout: 120_000,
}, async (t) => {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return;
  const docs = ouraSample({ seed: 13, days: 60 })
    .text.trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { day: string });
  const input = unique('oura_csv');
  const kafka = new KafkaBroker(KAFKA_URL);
  await kafka.connect();
  t.after(() => kafka.close());
  await kafka.createTopic(input);
  await kafka.produce(
    input,
    docs.map((value) => ({ key: null, value })),
  );
  // The app on a local broker: only the input is on Kafka. One poll holds every message, so the limit
  // cuts a batch; what it cut off must stay unread for the group.
  const ws = workspace('runnel-oura-limit-');
  const group = unique('oura_group');
  const env = { OURA_CONSUMER_GROUP_ID: group };
  const committed = async () =>
    (await kafka.listGroups(group)).filter((g) => g.topic === input).reduce((n, g) => n + g.committed, 0);
  const parts = [25, docs.length - 25];
  let copied = 0;
  for (const n of parts) {
    const r = await runCli(
      ['run', 'oura', '--from', `${KAFKA_URL}/${input}`, '--limit', String(n), '--sinks', 'jsonl', ...ws.flags],
      { env, timeoutMs: 60_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    copied += n;
    assert.equal(await committed(), copied);
  }
  // Every message copied once, in order: the runnel topic holds the input as it was.
  const tail = await runCli(['tail', 'oura', '--no-follow', '-n', '1000', '--broker', ws.broker]);
  assert.deepEqual(
    tail.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { value: { day: string } }).value.day),
    docs.map((d) => d.day),
  );
});

test('oura replayed in pieces on Kafka (--limit, run after run): each run goes on after the last, the tables of one whole run', {
  timeout: 300_000,
}, async (t) => {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return;
  const { file, env, expected, ws, flags } = await localThenKafka(t, 13, 60);
  // The count each run leaves is read back from the Kafka topic's newest records by the next one.
  for (let i = 0; i < 5; i++) {
    const r = await runCli(
      ['run', 'oura', '--from', file, '--rate', '0', '--limit', '13', '--sinks', 'sqlite,jsonl', ...flags],
      {
        env,
        timeoutMs: 120_000,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    if (i > 0) assert.match(r.stdout + r.stderr, new RegExp(`replayed the first ${13 * i} record\\(s\\) of`));
  }
  assert.deepEqual(outputs(ws.dir, env.OURA_TOPIC), expected);
});
