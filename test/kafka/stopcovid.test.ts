/**
 * The whole stopcovid pipeline on a real Kafka (6 partitions, the status feedback loop, the tile
 * repartition) equals the brute-force synchronous simulation of the same seed, as it does on local.
 * Its topics and its own internal topics and groups are named per run (STOPCOVID_TOPIC, RUNNEL_APP_ID),
 * so the shared broker never mixes two runs.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { unique } from '../broker-conformance/suite.ts';
import { jsonlValues, runCli, sqliteRows, workspace } from '../helpers/cli.ts';
import { needService } from '../helpers/services.ts';
import { reference } from '../helpers/stopcovid-reference.ts';
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
