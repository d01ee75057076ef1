/**
 * kill -9 of the consumer process during a 100k-record run over Kafka, at points chosen by progress (lines
 * in the jsonl sink), then a restart: jsonl, sqlite and duckdb each end with exactly the 100k events, no
 * duplicates, in order per key. The sinks keep their positions in their own transaction, so this holds
 * on Kafka exactly as on the local broker, whatever the group commits say.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KafkaBroker } from '../../src/brokers/kafka/kafka-broker.ts';
import { unique } from '../broker-conformance/suite.ts';
import { check, type Event, makeEvents } from '../helpers/checker.ts';
import { duckdbRows, sqliteRows } from '../helpers/cli.ts';
import { killAtLines } from '../helpers/kill-at.ts';
import { needService } from '../helpers/services.ts';
import { KAFKA_HOW, KAFKA_URL, kafkaAvailable } from './env.ts';

const FIXTURE = new URL('../e2e/fixtures/crash-consumer.ts', import.meta.url).pathname;
const N = 100_000;

/** Runs the consumer; SIGKILLs it once the jsonl sink holds `killAt` lines. */
function runUntil(topic: string, dir: string, killAt?: number): Promise<'killed' | 'exited'> {
  const child = spawn(process.execPath, [FIXTURE, '--broker', KAFKA_URL, '--dir', dir, '--topic', topic], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return killAtLines(child, join(dir, 'events.jsonl'), killAt);
}

test('kill -9 of the consumer 4 times in a 100k-record Kafka run: exact counts in jsonl, sqlite, duckdb', {
  timeout: 600_000,
}, async (t) => {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return;
  const dir = mkdtempSync(join(tmpdir(), 'runnel-kafka-crash-'));
  const topic = unique('crash');
  const broker = new KafkaBroker(KAFKA_URL);
  await broker.connect();
  await broker.createTopic(topic, { partitions: 3 });
  const events = makeEvents(N);
  for (let i = 0; i < N; i += 10_000) {
    await broker.produce(
      topic,
      events.slice(i, i + 10_000).map((e) => ({ key: e.key, value: e })),
    );
  }
  await broker.close();
  let kills = 0;
  for (const at of [9_000, 31_000, 58_000, 83_000]) if ((await runUntil(topic, dir, at)) === 'killed') kills++;
  assert.equal(await runUntil(topic, dir), 'exited');
  assert.ok(kills >= 3, `most kill points should land before the end (got ${kills})`);
  const jsonl = readFileSync(join(dir, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Event);
  const sqlite = sqliteRows<Event>(join(dir, 'events.sqlite'), 'SELECT id, key, seq FROM events ORDER BY rowid');
  // DuckDB hands BIGINT columns back as bigint.
  const duck = (await duckdbRows<Event>(join(dir, 'events.duckdb'), 'SELECT id, key, seq FROM events ORDER BY id')).map(
    (e) => ({ id: Number(e.id), key: e.key, seq: Number(e.seq) }),
  );
  for (const [name, rows] of Object.entries({ jsonl, sqlite, duckdb: duck })) {
    const v = check(rows, N);
    assert.deepEqual(
      { count: v.count, lost: v.lost.length, duplicates: v.duplicates, nonmonotonic: v.nonmonotonic },
      { count: N, lost: 0, duplicates: 0, nonmonotonic: [] },
      `${name} after ${kills} kills`,
    );
  }
});
