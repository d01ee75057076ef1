import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import { jsonlValues, runCli, sqliteRows, startCli, type Workspace, workspace } from '../helpers/cli.ts';

interface DeadLetterRecord {
  value: { error: { code: string; message: string }; source: { position?: string; offset?: number }; raw: string };
}

/** A dead-letter topic's records, read the way a user would: `runnel tail`. */
async function deadLetters(ws: Workspace, topic: string): Promise<DeadLetterRecord[]> {
  const tail = await runCli(['tail', topic, '--from-beginning', '--no-follow', ...ws.flags]);
  assert.equal(tail.code, 0, tail.stderr);
  return tail.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as DeadLetterRecord);
}

/** The smoker temperatures in the JSONL file and in the SQLite table, in order. */
function assertReadings(ws: Workspace, temperatures: number[]): void {
  const data = join(ws.dir, 'data');
  assert.deepEqual(
    jsonlValues<{ temperature: number }>(join(data, 'smoker.jsonl')).map((v) => v.temperature),
    temperatures,
  );
  assert.deepEqual(
    sqliteRows<{ temperature: number }>(join(data, 'smoker.sqlite'), 'SELECT temperature FROM smoker_readings').map(
      (x) => x.temperature,
    ),
    temperatures,
  );
}

test('a CSV with a missing and a non-numeric temperature: good rows delivered, bad rows dead-lettered with file:line', async () => {
  const ws = workspace();
  const csv = join(ws.dir, 'bad.csv');
  writeFileSync(
    csv,
    'timestamp,temperature\n2025-01-01 15:00:00,70.4\n2025-01-01 15:01:00,\n2025-01-01 15:02:00,abc\n2025-01-01 15:03:00,71.6\n',
  );
  const r = await runCli(['run', 'smoker', '--csv', csv, '--rate', '0', '--sinks', 'jsonl,sqlite', ...ws.flags]);
  assert.equal(r.code, 0, r.stderr);
  // One warning line per bad row, naming the file and line once.
  const warned = r.stderr.split('\n').filter((l) => l.includes('sent to smoker.dlq'));
  assert.equal(warned.length, 2, r.stderr);
  assert.match(
    warned[0]!,
    new RegExp(`csv: ${csv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: [^/]*\\(sent to smoker\\.dlq\\)$`),
  );
  const rows = sqliteRows<{ temperature: number }>(
    join(ws.dir, 'data', 'smoker.sqlite'),
    'SELECT temperature FROM smoker_readings ORDER BY id',
  );
  assert.deepEqual(
    rows.map((x) => x.temperature),
    [70.4, 71.6],
  );
  const dead = await deadLetters(ws, 'smoker.dlq');
  assert.equal(dead.length, 2);
  assert.deepEqual(
    dead.map((d) => d.value.source.position),
    [`${csv}:3`, `${csv}:4`],
  );
  assert.match(dead[1]!.value.error.message, /temperature/);
  assert.match(dead[1]!.value.raw, /abc/);
});

test('a JSONL line that is not JSON goes to the dead-letter topic; the others are delivered', async () => {
  const ws = workspace();
  const file = join(ws.dir, 'in.jsonl');
  writeFileSync(file, '{"message":"a","author":"Alice"}\nnot json\n{"message":"b","author":"Bob"}\n');
  // The json source exercised through the library API, as a user's own pipeline would use it.
  const script = `
    import '${new URL('../../src/brokers/index.ts', import.meta.url).pathname}';
    import '${new URL('../../src/connectors/sources/index.ts', import.meta.url).pathname}';
    import '${new URL('../../src/connectors/sinks/index.ts', import.meta.url).pathname}';
    import { createBroker } from '${new URL('../../src/core/broker-registry.ts', import.meta.url).pathname}';
    import { createSource, createSink } from '${new URL('../../src/core/connector-registry.ts', import.meta.url).pathname}';
    import { runPipeline } from '${new URL('../../src/core/pipeline.ts', import.meta.url).pathname}';
    import { createLogger } from '${new URL('../../src/core/log.ts', import.meta.url).pathname}';
    const broker = await createBroker(${JSON.stringify(ws.broker)});
    await broker.connect();
    await runPipeline({ broker, log: createLogger({ quiet: true }),
      spec: { app: 'j', topics: {}, processors: [],
        sources: [{ source: createSource('json', { path: ${JSON.stringify(file)} }), topic: 'in' }],
        sinks: [{ sink: createSink('jsonl', { path: ${JSON.stringify(join(ws.dir, 'out.jsonl'))} }), topic: 'in' }] } }).done;
    const dead = await broker.read('in.dlq', 0, 0, 10);
    console.log(JSON.stringify(dead.map((d) => d.value)));
    await broker.close();`;
  const { spawnSync } = await import('node:child_process');
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const dead = JSON.parse(out.stdout) as Array<{ source: { position: string }; raw: string }>;
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.source.position, `${file}:2`);
  assert.equal(dead[0]!.raw, 'not json');
  assert.deepEqual(
    jsonlValues<{ message: string }>(join(ws.dir, 'out.jsonl')).map((v) => v.message),
    ['a', 'b'],
  );
});

test('a missing input file and a CSV without the timestamp column fail with one clear line', async () => {
  const ws = workspace();
  const missing = await runCli(['run', 'smoker', '--csv', join(ws.dir, 'nope.csv'), ...ws.flags]);
  assert.equal(missing.code, 1);
  const lines = missing.stderr.trim().split('\n');
  assert.match(lines[lines.length - 1]!, /^runnel: RUNNEL_FILE_NOT_FOUND: .*nope\.csv/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /, 'no stack trace without --verbose');

  const noTs = join(ws.dir, 'nots.csv');
  writeFileSync(noTs, 'time,temperature\n15:00,70.4\n');
  const r = await runCli(['run', 'smoker', '--csv', noTs, '--rate', '0', ...ws.flags]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /RUNNEL_INPUT_MALFORMED: .*nots\.csv.*timestamp/);
});

test('config errors name the offending field and value', async () => {
  const ws = workspace();
  const rate = await runCli(['run', 'buzz', '--rate', '-5', ...ws.flags]);
  assert.equal(rate.code, 1);
  assert.match(rate.stderr, /RUNNEL_CONFIG_INVALID: --rate must be a number >= 0 \(got "-5"\)/);
  const sinks = await runCli(['run', 'buzz', '--sinks', 'jsonl,parquet', ...ws.flags]);
  assert.match(sinks.stderr, /RUNNEL_CONFIG_INVALID: --sinks: unknown sink "parquet"/);
  const env = await runCli(['run', 'smoker', '--rate', '0', ...ws.flags], {
    env: { SMOKER_STALL_THRESHOLD_F: 'warm' },
  });
  assert.match(env.stderr, /RUNNEL_CONFIG_INVALID: SMOKER_STALL_THRESHOLD_F must be a number >= 0 \(got "warm"\)/);
  const app = await runCli(['run', 'weather', ...ws.flags]);
  assert.match(app.stderr, /RUNNEL_UNKNOWN_APP: unknown app "weather" \(known: buzz, smoker, oura, stopcovid, users\)/);
  const broker = await runCli(['topics', '--broker', 'mqtt://x']);
  assert.match(broker.stderr, /RUNNEL_BROKER_URL_INVALID: broker URL "mqtt:\/\/x"/);
  // A bare file path or host:port gets the URL it was meant to be.
  const path = await runCli(['topics', '--broker', '/tmp/x/broker.db']);
  assert.match(path.stderr, /has no known scheme \(use one of .*; for this, local:\/tmp\/x\/broker\.db\)/);
  for (const address of ['localhost:9092', '127.0.0.1:9092']) {
    const kafka = await runCli(['topics', '--broker', address]);
    assert.ok(kafka.stderr.includes(`; for this, kafka://${address})`), kafka.stderr);
  }
});

test('output written from another broker is refused with one line, not resumed past missing records', async () => {
  const ws = workspace();
  const first = await runCli(['run', 'buzz', '--limit', '50', '--rate', '0', ...ws.flags]);
  assert.equal(first.code, 0, first.stderr);
  // The same data and state folders, a new (empty) broker file: resuming at offset 50 would skip records.
  const flags = ws.flags.map((f) => (f === ws.broker ? `${ws.broker}.new` : f));
  const second = await runCli(['run', 'buzz', '--limit', '5', '--rate', '0', ...flags], { timeoutMs: 60_000 });
  assert.equal(second.code, 1, second.stderr);
  const lines = second.stderr.trim().split('\n');
  assert.match(
    lines.at(-1)!,
    /^runnel: RUNNEL_OUTPUT_FROM_OTHER_BROKER: [\w.-]+: its output \(.+\) holds buzz from another broker, or from a buzz since deleted and created again \(topic id .+; local:.*\.new has .+\); start fresh with another --data-dir, or remove that output$/,
  );
  assert.equal(lines.filter((l) => l.startsWith('runnel:')).length, 1);
  // Refused before the source started: the new broker got no records to be confused by later.
  const held = await runCli(['tail', 'buzz', '--from-beginning', '--no-follow', ...flags]);
  assert.equal(held.code, 0, held.stderr);
  assert.equal(held.stdout, '');
});

test('output from another broker is refused even when that broker holds more records than the output', async () => {
  const ws = workspace();
  const first = await runCli(['run', 'buzz', '--limit', '50', '--rate', '0', ...ws.flags]);
  assert.equal(first.code, 0, first.stderr);
  // Another broker whose buzz topic is already longer (the fresh-user trial's local → Kafka switch):
  // offsets alone cannot tell, so sinks resumed at 50 and mixed the two streams in one file.
  const flags = ws.flags.map((f) => (f === ws.broker ? `${ws.broker}.other` : f));
  const produced = await runCli(['produce', 'buzz', '--limit', '120', '--rate', '0', ...flags]);
  assert.equal(produced.code, 0, produced.stderr);
  const second = await runCli(['run', 'buzz', '--limit', '5', '--rate', '0', ...flags]);
  assert.equal(second.code, 1, second.stderr);
  assert.match(second.stderr.trim().split('\n').at(-1)!, /^runnel: RUNNEL_OUTPUT_FROM_OTHER_BROKER: .*buzz/);
  const rows = sqliteRows<{ n: number }>(
    join(ws.dir, 'data', 'buzz.sqlite'),
    'SELECT count(*) AS n FROM streamed_messages',
  );
  assert.equal(rows[0]!.n, 50, 'nothing from the other broker was added');
  assert.equal(jsonlValues(join(ws.dir, 'data', 'buzz.jsonl')).length, 50);
  // A topic deleted and created again on the same broker (as the seeds' producers do at every start) is
  // another stream too, though its offsets start over the same way.
  const broker = new LocalBroker(ws.broker);
  await broker.connect();
  await broker.deleteTopic('buzz');
  await broker.close();
  const recreated = await runCli(['run', 'buzz', '--limit', '60', '--rate', '0', ...ws.flags]);
  assert.equal(recreated.code, 1, recreated.stderr);
  assert.match(recreated.stderr, /RUNNEL_OUTPUT_FROM_OTHER_BROKER: .*deleted and created again/);
});

test('consume alone refuses output of a recreated topic in one line, as run does', async () => {
  const ws = workspace();
  assert.equal((await runCli(['produce', 'buzz', '--limit', '20', '--rate', '0', ...ws.flags])).code, 0);
  const first = await runCli(['consume', 'buzz', '--drain', ...ws.flags]);
  assert.equal(first.code, 0, first.stderr);
  const broker = new LocalBroker(ws.broker);
  await broker.connect();
  await broker.deleteTopic('buzz');
  await broker.close();
  assert.equal((await runCli(['produce', 'buzz', '--limit', '5', '--rate', '0', ...ws.flags])).code, 0);
  // Every sink, as the seeds' consumer had: the slower ones leave the refusal time to go unhandled.
  const again = await runCli(['consume', 'buzz', '--drain', ...ws.flags]);
  assert.equal(again.code, 1, again.stderr);
  // Before, consume alone died of an unhandled rejection: Node's stack dump instead of this line.
  const lines = again.stderr.trim().split('\n');
  assert.match(lines.at(-1)!, /^runnel: RUNNEL_OUTPUT_FROM_OTHER_BROKER: .*deleted and created again/);
  assert.ok(!/^\s+at /m.test(again.stderr), again.stderr);
});

test('a topic deleted and created again while a consumer runs stops it before it writes any of the new one', async () => {
  const ws = workspace();
  const first = await runCli(['produce', 'buzz', '--limit', '30', '--rate', '0', ...ws.flags]);
  assert.equal(first.code, 0, first.stderr);
  const consumer = startCli(['consume', 'buzz', '--sinks', 'sqlite', ...ws.flags]);
  let stderr = '';
  consumer.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => consumer.on('close', (code) => resolve(code)));
  const rows = () =>
    sqliteRows<{ n: number }>(join(ws.dir, 'data', 'buzz.sqlite'), 'SELECT count(*) AS n FROM streamed_messages')[0]!.n;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if (rows() === 30) break;
    } catch {} // the table appears with the first write
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(rows(), 30);
  const broker = new LocalBroker(ws.broker);
  await broker.connect();
  await broker.deleteTopic('buzz');
  await broker.produce(
    'buzz',
    Array.from({ length: 40 }, (_, i) => ({ value: { message: `new ${i}` } })),
  );
  await broker.close();
  const timeout = setTimeout(() => consumer.kill('SIGKILL'), 30_000);
  const code = await exited;
  clearTimeout(timeout);
  assert.equal(code, 1, stderr);
  assert.match(stderr, /RUNNEL_OUTPUT_FROM_OTHER_BROKER: .*topic buzz was deleted and created again while it ran/);
  assert.equal(rows(), 30, 'no record of the new topic reached the output that holds the old one');
});

test('--sinks with no sink named is a config error, not a run that writes nothing', async () => {
  const ws = workspace();
  const r = await runCli(['run', 'buzz', '--limit', '1', '--sinks', '', ...ws.flags]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr.trim(),
    'runnel: RUNNEL_CONFIG_INVALID: --sinks: name at least one of jsonl, sqlite, duckdb, postgres, cassandra, kafka (got "")',
  );
});

test('--from input of the wrong shape is dead-lettered once, at the source, and reaches no sink', async () => {
  const ws = workspace();
  const file = join(ws.dir, 'readings.jsonl');
  const lines = [
    { timestamp: '2025-01-01 15:00:00', temperature: 70.4 },
    'a plain string',
    { timestamp: '2025-01-01 15:02:00', temperature: '71.0' },
    { timestamp: 'not a date', temperature: 74.0 },
    { timestamp: null, temperature: 74.0 },
    { timestamp: '2025-01-01 15:03:00', temperature: 71.6 },
  ];
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const r = await runCli(['run', 'smoker', '--from', file, '--sinks', 'jsonl,sqlite,duckdb', ...ws.flags]);
  assert.equal(r.code, 0, r.stderr);
  // Only the readings that fit reach the topic, so every sink holds exactly them.
  assertReadings(ws, [70.4, 71.6]);
  const dead = await deadLetters(ws, 'smoker.dlq');
  // Once each (not once per consumer), named by file:line and the field at fault.
  assert.deepEqual(
    dead.map((d) => [d.value.source.position, d.value.error.code]),
    [
      [`${file}:2`, 'RUNNEL_SCHEMA_MISMATCH'],
      [`${file}:3`, 'RUNNEL_SCHEMA_MISMATCH'],
      [`${file}:4`, 'RUNNEL_SCHEMA_MISMATCH'],
      [`${file}:5`, 'RUNNEL_SCHEMA_MISMATCH'],
    ],
  );
  assert.match(dead[0]!.value.error.message, /not a valid smoker record \(value: .*expected object/);
  assert.match(dead[1]!.value.error.message, /not a valid smoker record \(temperature: .*expected number/);
  assert.match(dead[2]!.value.error.message, /not a valid smoker record \(timestamp: not a date and time/);
  assert.match(dead[3]!.value.error.message, /not a valid smoker record \(timestamp: must be a date and time string/);
  assert.equal(r.stderr.split('\n').filter((l) => l.includes('sent to smoker.dlq')).length, 4, r.stderr);
});

test('records another client put on the input topic: misfits dead-lettered once by consume, and no sink keeps them', async () => {
  const ws = workspace();
  // A seed-style producer of its own writes straight to the topic: no runnel source checks these.
  const broker = new LocalBroker(ws.broker);
  await broker.connect();
  await broker.produce('smoker', [
    { value: { timestamp: '2025-01-01 15:00:00', temperature: 70.4 } },
    { value: 'not json at all' },
    { value: { timestamp: '2025-01-01 15:01:00', temperature: 'hot' } },
    { value: [1, 2, 3] },
    { value: null },
    { value: { timestamp: '2025-01-01 15:02:00', temperature: 71.6 } },
  ]);
  await broker.close();
  const r = await runCli(['consume', 'smoker', '--drain', '--sinks', 'jsonl,sqlite,duckdb', ...ws.flags]);
  assert.equal(r.code, 0, r.stderr);
  // Every sink holds the same two readings: the JSONL file used to keep the misfits as well.
  assertReadings(ws, [70.4, 71.6]);
  // Once each, by their positions (three consumers used to dead-letter each of them: 12 letters).
  const dead = await deadLetters(ws, 'smoker.dlq');
  assert.deepEqual(
    dead.map((d) => [d.value.source.offset, d.value.error.code]),
    [
      [1, 'RUNNEL_SCHEMA_MISMATCH'],
      [2, 'RUNNEL_SCHEMA_MISMATCH'],
      [3, 'RUNNEL_SCHEMA_MISMATCH'],
      [4, 'RUNNEL_SCHEMA_MISMATCH'],
    ],
  );
  assert.match(dead[0]!.value.error.message, /^smoker@0:1: not a valid smoker record \(value: .*expected object/);
  assert.match(dead[1]!.value.error.message, /not a valid smoker record \(temperature: .*expected number/);
  assert.equal(r.stderr.split('\n').filter((l) => l.includes('sent to smoker.dlq')).length, 4, r.stderr);
  // A batch of nothing but misfits is still recorded as read: consuming again dead-letters nothing twice.
  const again = new LocalBroker(ws.broker);
  await again.connect();
  await again.produce('smoker', [{ value: 'still not json' }, { value: { temperature: 'warm' } }]);
  await again.close();
  for (let run = 0; run < 2; run++) {
    const more = await runCli(['consume', 'smoker', '--drain', '--sinks', 'jsonl,sqlite,duckdb', ...ws.flags]);
    assert.equal(more.code, 0, more.stderr);
  }
  assert.deepEqual(
    (await deadLetters(ws, 'smoker.dlq')).map((d) => d.value.source.offset),
    [1, 2, 3, 4, 6, 7],
  );
  assertReadings(ws, [70.4, 71.6]);
});

test('--sinks kafka on the Kafka cluster the pipeline runs on is refused before it starts, in one line', async () => {
  const ws = workspace();
  const flags = ['--data-dir', join(ws.dir, 'data'), '--state-dir', join(ws.dir, 'state')];
  // Nothing listens on these ports: the refusal comes from the flags alone, before any connection.
  const args = ['run', 'buzz', '--limit', '5', '--sinks', 'jsonl,kafka', '--broker', 'kafka://127.0.0.1:1', ...flags];
  const same = await runCli(args, { env: { RUNNEL_KAFKA_SINK: 'kafka://localhost:1' } });
  assert.equal(same.code, 1, same.stderr);
  assert.equal(
    same.stderr.trim(),
    'runnel: RUNNEL_CONFIG_INVALID: --sinks kafka mirrors every topic into kafka://localhost:1, the cluster this ' +
      'pipeline already runs on, so it would copy its own copies without end: drop kafka from --sinks (the topics ' +
      'are on Kafka already), or set RUNNEL_KAFKA_SINK to another cluster',
  );
  // Reading a Kafka topic the mirror writes back is the same loop, on the local broker too.
  const from = await runCli(
    ['run', 'smoker', '--from', 'kafka://127.0.0.1:1/smoker_csv', '--sinks', 'jsonl,kafka', ...ws.flags],
    { env: { RUNNEL_KAFKA_SINK: 'kafka://localhost:1', SMOKER_TOPIC: 'smoker_csv' } },
  );
  assert.equal(from.code, 1, from.stderr);
  assert.equal(
    from.stderr.trim(),
    'runnel: RUNNEL_CONFIG_INVALID: --from kafka://127.0.0.1:1/smoker_csv with --sinks kafka would mirror ' +
      'smoker_csv back into the topic it reads (kafka://localhost:1), without end: drop kafka from --sinks, or ' +
      'give the app other topic names (e.g. SMOKER_TOPIC)',
  );
  // Another cluster is a real mirror: this run gets as far as connecting to the (absent) pipeline broker.
  const other = await runCli(args, { env: { RUNNEL_KAFKA_SINK: 'kafka://127.0.0.1:2' } });
  assert.equal(other.code, 1, other.stderr);
  assert.match(other.stderr, /RUNNEL_BROKER_UNAVAILABLE: .*127\.0\.0\.1:1/);
});

test('flags a mode does not use are refused in one line, not silently ignored', async () => {
  const ws = workspace();
  const consume = await runCli(['consume', 'buzz', '--drain', '--rate', '5', '--csv', 'nothere.csv', ...ws.flags]);
  assert.equal(consume.code, 1, consume.stderr);
  assert.equal(
    consume.stderr.trim(),
    'runnel: RUNNEL_USAGE: --rate, --csv: consume runs no source: give them to `runnel produce` (or `run`)',
  );
  const one = await runCli(['consume', 'smoker', '--drain', '--from-start', ...ws.flags]);
  assert.equal(
    one.stderr.trim(),
    'runnel: RUNNEL_USAGE: --from-start: consume runs no source: give it to `runnel produce` (or `run`)',
  );
  const produce = await runCli(['produce', 'buzz', '--limit', '1', '--sinks', 'kafka', ...ws.flags]);
  assert.equal(produce.code, 1, produce.stderr);
  assert.equal(
    produce.stderr.trim(),
    'runnel: RUNNEL_USAGE: --sinks: produce runs no sink: give it to `runnel consume` (or `run`)',
  );
});

test('a --csv that is JSON, or lacks the timestamp column, is refused before anything starts', async () => {
  const ws = workspace();
  const json = join(ws.dir, 'buzz.json');
  writeFileSync(json, '[{"message": "hi", "author": "Alice"}]\n');
  const asJson = await runCli(['run', 'smoker', '--csv', json, ...ws.flags]);
  assert.equal(asJson.code, 1, asJson.stderr);
  assert.equal(
    asJson.stderr.trim(),
    `runnel: RUNNEL_INPUT_MALFORMED: ${json} looks like JSON, not a CSV with a header row: read JSON with --from <file.json>`,
  );
  const csv = join(ws.dir, 'readings.csv');
  writeFileSync(csv, 'time,temp\n2025-01-01 15:00:00,70.1\n');
  const noColumn = await runCli(['run', 'smoker', '--csv', csv, ...ws.flags]);
  assert.equal(noColumn.code, 1, noColumn.stderr);
  assert.equal(
    noColumn.stderr.trim(),
    `runnel: RUNNEL_INPUT_MALFORMED: CSV file ${csv} has no "timestamp" or "temperature" column (did you mean "time" for "timestamp", "temp" for "temperature"? columns: time, temp)`,
  );
  // Refused while the app was built: no broker file, no output written, no stale alerts replayed.
  assert.equal(existsSync(ws.broker.slice('local:'.length)), false);
  assert.equal(existsSync(join(ws.dir, 'data')), false);
});
