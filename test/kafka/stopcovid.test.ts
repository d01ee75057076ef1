/**
 * The whole stopcovid pipeline on a real Kafka (6 partitions, the status feedback loop, the tile
 * repartition) equals the brute-force synchronous simulation of the same seed, as it does on local.
 * Its topics and its own internal topics and groups are named per run (STOPCOVID_TOPIC, RUNNEL_APP_ID),
 * so the shared broker never mixes two runs.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import '../../src/brokers/index.ts';
import { KafkaBroker } from '../../src/brokers/kafka/kafka-broker.ts';
import { unique } from '../broker-conformance/suite.ts';
import { exited, jsonlValues, runCli, sqliteRows, startCli, workspace } from '../helpers/cli.ts';
import { needService } from '../helpers/services.ts';
import { reference } from '../helpers/stopcovid-reference.ts';
import { assertOneRun, drawnSeed, held, refusalLine, stderrOf } from '../helpers/stopcovid-restart.ts';
import { topicValues } from '../helpers/topic-values.ts';
import { KAFKA_HOW, KAFKA_URL, kafkaAvailable } from './env.ts';

test('runnel run stopcovid on kafka: final statuses and notifications equal the synchronous reference', {
  timeout: 300_000,
}, async (t) => {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return;
  const sim = { people: 400, width: 40, height: 40, seed: 17, radius: 2 };
  const ticks = 8;
  const want = reference(sim, ticks);
  assert.ok(want.notifications.length > 20, 'the case has infections to check');
  const ws = workspace('runnel-kafka-stopcovid-');
  const flags = ws.flags.map((f) => (f === ws.broker ? KAFKA_URL : f));
  const topic = unique('stopcovid');
  const r = await runCli(
    [
      'run',
      'stopcovid',
      ...['--people', String(sim.people), '--grid', `${sim.width}x${sim.height}`, '--radius', String(sim.radius)],
      ...['--seed', String(sim.seed), '--ticks', String(ticks), '--tick-rate', '0', '--tile', '16'],
      ...['--sinks', 'jsonl,sqlite', ...flags],
    ],
    { env: { STOPCOVID_TOPIC: topic, RUNNEL_APP_ID: unique('stopcovid-app') }, timeoutMs: 280_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  const people = sqliteRows<{ people_id: number; health_status: number; tick: number }>(
    join(ws.dir, 'data', 'stopcovid.sqlite'),
    'SELECT people_id, health_status, tick FROM people ORDER BY people_id',
  );
  assert.equal(people.length, sim.people);
  for (const p of people) {
    assert.equal(p.tick, ticks - 1);
    assert.equal(p.health_status, want.status.get(p.people_id), `status of ${p.people_id}`);
  }
  const notes = jsonlValues<{ id: number; tick: number; contacts: number[] }>(join(ws.dir, 'data', `${topic}.jsonl`));
  const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
  assert.deepEqual(
    notes.map(({ id, tick, contacts }) => ({ id, tick, contacts })).sort(byId),
    [...want.notifications].sort(byId),
    'one notification per person who became suspicious, with the tick and the contacts',
  );
  const pairs = sqliteRows<{ n: number }>(
    join(ws.dir, 'data', 'stopcovid.sqlite'),
    'SELECT count(*) AS n FROM interactions',
  );
  assert.equal(pairs[0]!.n, want.interactions.size);
});

test('stopcovid on kafka killed with kill -9 without --seed: a restart with another radius is refused in one line, one with none goes on with the drawn seed', {
  timeout: 300_000,
}, async (t) => {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return;
  const sim = { people: 300, width: 40, height: 40, radius: 0 };
  const ticks = 10;
  const ws = workspace('runnel-kafka-stopcovid-restart-');
  const flags = ws.flags.map((f) => (f === ws.broker ? KAFKA_URL : f));
  const topic = unique('stopcovid');
  const env = { STOPCOVID_TOPIC: topic, RUNNEL_APP_ID: unique('stopcovid-app') };
  const simFlags = ['--people', String(sim.people), '--grid', `${sim.width}x${sim.height}`, '--ticks', String(ticks)];
  const kafka = new KafkaBroker(KAFKA_URL);
  await kafka.connect();
  t.after(() => kafka.close());
  const positions = `${topic}.positions`;

  const first = startCli(['run', 'stopcovid', ...simFlags, '--tick-rate', '10', '--sinks', 'jsonl', ...flags], { env });
  const err = stderrOf(first);
  for (let i = 0; i < 2400 && (await held(kafka, positions)) < 3 * sim.people; i++) await sleep(25);
  first.kill('SIGKILL');
  await exited(first);
  const before = await held(kafka, positions);
  assert.ok(before >= 3 * sim.people && before < ticks * sim.people, `killed mid-run (${before} offsets)`);

  const refused = await runCli(
    ['run', 'stopcovid', ...simFlags, '--radius', '2', '--tick-rate', '0', '--sinks', 'jsonl', ...flags],
    { env, timeoutMs: 120_000 },
  );
  assert.match(
    refusalLine(refused),
    new RegExp(
      `^runnel: RUNNEL_RUN_SETTINGS_CHANGED: stopcovid: ${topic}\\.positions holds ticks 0 to \\d+ of a simulation ` +
        'with other settings: --radius 0 \\(this run: --radius 2\\)\\. .*on Kafka: another STOPCOVID_TOPIC and RUNNEL_APP_ID',
    ),
  );
  assert.equal(await held(kafka, positions), before, 'nothing simulated');

  const resumed = await runCli(['run', 'stopcovid', ...simFlags, '--tick-rate', '0', '--sinks', 'jsonl', ...flags], {
    env,
    timeoutMs: 280_000,
  });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /going on from tick \d+ with the run's saved seed \d+/);
  assertOneRun(await topicValues(kafka, positions), sim, ticks, () => drawnSeed(err.text));
});
