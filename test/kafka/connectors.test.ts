/**
 * The `kafka` source and sink, and the seeds' own producers: a topic written by another Kafka client (here
 * kcat, sending exactly what the seed's Python `csv_producer_case` sends) is consumed by runnel unchanged,
 * read into a local pipeline with `--from`, and results mirrored back into Kafka with `--sinks kafka`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import '../../src/brokers/index.ts';
import '../../src/connectors/sinks/index.ts';
import { KafkaBroker } from '../../src/brokers/kafka/kafka-broker.ts';
import { createSink } from '../../src/core/connector-registry.ts';
import { isRunnelError } from '../../src/core/errors.ts';
import { unique } from '../broker-conformance/suite.ts';
import { jsonlValues, runCli, startCli, workspace } from '../helpers/cli.ts';
import { needService } from '../helpers/services.ts';
import { KAFKA_HOW, KAFKA_URL, kafkaAvailable } from './env.ts';
import { hasKcat, KCAT_HOW, kcatProduce } from './kcat.ts';

const SMOKER_CSV = new URL('../fixtures/seed-data/smoker_temps.csv', import.meta.url).pathname;

interface Alert {
  type: string;
  timestamp: string;
  at: number;
  temperature: number;
  min: number;
  max: number;
}
const alertShape = (a: Alert) => [a.type, a.temperature, a.min, a.max];

/** The seed producer's messages: `{"timestamp": utcnow().isoformat(), "temperature": float(row)}`, no key. */
function seedProducerLines(): string[] {
  const rows = readFileSync(SMOKER_CSV, 'utf8').trim().split('\n').slice(1);
  const start = Date.UTC(2026, 10, 24, 7, 0, 0);
  return rows.map((row, i) => {
    const temperature = Number(row.split(',')[1]);
    const ts = new Date(start + i * 5000).toISOString().replace('Z', '123');
    return JSON.stringify({ timestamp: ts, temperature });
  });
}

/** A new topic holding the seed producer's 240 readings, written by kcat. */
function seedTopic(): { input: string; lines: string[] } {
  const input = unique('smoker_csv');
  const lines = seedProducerLines();
  kcatProduce(input, lines);
  return { input, lines };
}

async function ready(t: TestContext): Promise<boolean> {
  if (!needService(t, 'kcat', hasKcat, KCAT_HOW)) return false;
  return needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW);
}

/** Alerts the smoker app raises on the seeds' CSV on the local broker: the reference for the Kafka paths. */
async function localAlerts(): Promise<Alert[]> {
  const ws = workspace();
  const r = await runCli(['run', 'smoker', '--csv', SMOKER_CSV, '--rate', '0', '--sinks', 'jsonl', ...ws.flags], {
    env: { SMOKER_TOPIC: 'smoker' },
  });
  assert.equal(r.code, 0, r.stderr);
  const alerts = jsonlValues<Alert>(join(ws.dir, 'data', 'smoker.alerts.jsonl'));
  assert.ok(alerts.length > 0, 'the seeds data has a stall');
  return alerts;
}

test("runnel consume smoker reads the topic the seed's own Python producer writes (smoker_csv)", {
  timeout: 180_000,
}, async (t) => {
  if (!(await ready(t))) return;
  const topic = unique('smoker_csv');
  kcatProduce(topic, seedProducerLines());
  const ws = workspace('runnel-kafka-seed-');
  const flags = ws.flags.map((f) => (f === ws.broker ? KAFKA_URL : f));
  // The seeds' .env names the topic; runnel's consumer side needs nothing else.
  const r = await runCli(['consume', 'smoker', '--drain', '--sinks', 'jsonl', ...flags], {
    // Its own app id: another file's smoker may share this broker at the same time (see pipeline.test.ts).
    env: { SMOKER_TOPIC: topic, RUNNEL_APP_ID: unique('smoker-app') },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(jsonlValues(join(ws.dir, 'data', `${topic}.jsonl`)).length, 240);
  const alerts = jsonlValues<Alert>(join(ws.dir, 'data', `${topic}.alerts.jsonl`));
  assert.deepEqual(alerts.map(alertShape), (await localAlerts()).map(alertShape));
  assert.match(r.stderr, /STALL DETECTED at 2026-11-24T07:/, 'alerts name the seed message timestamps');
});

test('--from reads an existing Kafka topic into a local pipeline; --sinks kafka mirrors the results back', {
  timeout: 180_000,
}, async (t) => {
  if (!(await ready(t))) return;
  const { input, lines } = seedTopic();
  const ws = workspace('runnel-kafka-from-');
  const mirror = unique('mirror');
  const r = await runCli(
    ['run', 'smoker', '--from', `${KAFKA_URL}/${input}`, '--limit', '240', '--sinks', 'jsonl,kafka', ...ws.flags],
    { env: { SMOKER_TOPIC: mirror, RUNNEL_KAFKA_SINK: KAFKA_URL } },
  );
  assert.equal(r.code, 0, r.stderr);
  const expected = (await localAlerts()).map(alertShape);
  const alerts = jsonlValues<Alert>(join(ws.dir, 'data', `${mirror}.alerts.jsonl`));
  assert.deepEqual(alerts.map(alertShape), expected);
  // Event time is the reading's own timestamp (the seed's zone-less UTC isoformat), not Kafka's append time.
  assert.deepEqual(
    alerts.map((a) => a.at),
    alerts.map((a) => Date.parse(`${a.timestamp}Z`)),
  );

  // Another data folder (its own local broker) imports the whole topic too: the source's Kafka group
  // belongs to where it copies to. It used to share one group per topic and read nothing here.
  const other = workspace('runnel-kafka-from-again-');
  const again = await runCli(
    ['run', 'smoker', '--from', `${KAFKA_URL}/${input}`, '--limit', '240', '--sinks', 'jsonl', ...other.flags],
    { env: { SMOKER_TOPIC: mirror }, timeoutMs: 60_000 },
  );
  assert.equal(again.code, 0, again.stderr);
  assert.equal(jsonlValues(join(other.dir, 'data', `${mirror}.jsonl`)).length, 240);

  // The mirror on Kafka holds the readings in order, and the alerts, with their source positions.
  const kafka = new KafkaBroker(KAFKA_URL);
  await kafka.connect();
  t.after(() => kafka.close());
  const readings = await kafka.read(mirror, 0, 0, 1000);
  assert.deepEqual(
    readings.map((x) => x.value),
    lines.map((l) => JSON.parse(l)),
  );
  assert.equal(readings[5]!.headers['runnel.source'], `${mirror}/0/5`);
  const mirroredAlerts = await kafka.read(`${mirror}.alerts`, 0, 0, 1000);
  assert.deepEqual(
    mirroredAlerts.map((x) => alertShape(x.value as Alert)),
    expected,
  );
});

test('--from a Kafka topic that its producer deletes and creates again: the import waits, then reads the new one', {
  timeout: 180_000,
}, async (t) => {
  if (!(await ready(t))) return;
  const { input, lines } = seedTopic();
  const ws = workspace('runnel-kafka-from-recreated-');
  const copy = unique('copy');
  const run = startCli(
    [
      'run',
      'smoker',
      '--from',
      `${KAFKA_URL}/${input}`,
      '--limit',
      String(2 * lines.length),
      '--sinks',
      'jsonl',
      ...ws.flags,
    ],
    { env: { SMOKER_TOPIC: copy } },
  );
  let stderr = '';
  run.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => run.on('close', (code) => resolve(code)));
  t.after(() => run.kill('SIGKILL'));
  const copied = () => jsonlValues(join(ws.dir, 'data', `${copy}.jsonl`)).length;
  const deadline = Date.now() + 60_000;
  while (copied() < lines.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.equal(copied(), lines.length, stderr);
  // The seed's producer starts again: it deletes its topic and writes the readings anew.
  const kafka = new KafkaBroker(KAFKA_URL);
  await kafka.connect();
  t.after(() => kafka.close());
  await kafka.deleteTopic(input);
  await new Promise((r) => setTimeout(r, 1000));
  kcatProduce(input, lines);
  // It used to stop with "topic not found"; now it reads the new topic from its first record.
  assert.equal(await exited, 0, stderr);
  assert.equal(copied(), 2 * lines.length);
});

test('kafka connector config errors name the field and value; --from must name a topic', async () => {
  assert.throws(
    () => createSink('kafka', { url: 'http://127.0.0.1:9092', topic: 'x' }),
    (e: unknown) =>
      isRunnelError(e) && /sink kafka: url: must be kafka:\/\/host:port.*"http:\/\/127\.0\.0\.1:9092"/.test(e.message),
  );
  assert.throws(
    () => createSink('kafka', { url: KAFKA_URL, topic: 'a b' }),
    (e: unknown) => isRunnelError(e) && /topic: must be a Kafka topic name/.test(e.message),
  );
  const ws = workspace();
  const r = await runCli(['run', 'smoker', '--from', 'kafka://127.0.0.1:9092', '--limit', '1', ...ws.flags]);
  assert.equal(r.code, 1);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0]!,
    /RUNNEL_CONFIG_INVALID: --from must be kafka:\/\/host:port\/topic or a \.json\/\.jsonl file \(got "kafka:\/\/127\.0\.0\.1:9092"\)/,
  );
});
