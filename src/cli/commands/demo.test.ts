import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stopcovidApp, stopcovidSettings } from '../../apps/stopcovid/index.ts';
import type { ComponentStatus } from '../../core/status.ts';
import { demoEnv, summaryLines } from './demo.ts';

test('the demo runs stopcovid with its 10,000 people, keeping 15 minutes of its per-tick topics, unless told otherwise', async () => {
  assert.equal(stopcovidSettings(demoEnv({}), 1).sim.people, 10_000);
  assert.equal(stopcovidSettings(demoEnv({ STOPCOVID_PEOPLE: '2000' }), 1).sim.people, 2000);
  const options = (env: Record<string, string | undefined>) => ({ dataDir: '/tmp/x', sinks: ['jsonl' as const], env });
  const demo = await stopcovidApp.build(options(demoEnv({})));
  for (const topic of ['stopcovid.positions', 'stopcovid.people'])
    assert.deepEqual(demo.topics[topic], { partitions: 6, retentionMs: 15 * 60_000 }, topic);
  assert.equal(demo.topics.stopcovid?.retentionMs, undefined, 'notifications are kept as long as the broker keeps any');
  // `runnel run stopcovid` does not go through the demo's defaults: the broker's own retention stands.
  const run = await stopcovidApp.build(options({}));
  assert.equal(run.topics['stopcovid.people']?.retentionMs, undefined);
  // The people table: the SQL sinks only in the demo (JSONL grew without end), every sink in `run`.
  const peopleSinks = async (env: Record<string, string | undefined>) =>
    (await stopcovidApp.build({ dataDir: '/tmp/x', sinks: ['jsonl', 'sqlite', 'duckdb'], env })).sinks
      .filter((b) => b.topic === 'stopcovid.people')
      .map((b) => b.sink.name.split('-')[0])
      .sort();
  assert.deepEqual(await peopleSinks(demoEnv({})), ['duckdb', 'sqlite']);
  assert.deepEqual(await peopleSinks({}), ['duckdb', 'jsonl', 'sqlite']);
  assert.deepEqual(await peopleSinks(demoEnv({ STOPCOVID_PEOPLE_JSONL: 'on' })), ['duckdb', 'jsonl', 'sqlite']);
  for (const bad of ['-1', '1.5', 'soon'])
    assert.throws(
      () => stopcovidApp.build(options({ STOPCOVID_RETENTION_MINUTES: bad })),
      /STOPCOVID_RETENTION_MINUTES/,
    );
});

test('the demo prints one aligned line per app: produced, the slowest sink of those records, derived topics, trouble', () => {
  const st = (component: ComponentStatus['component'], name: string, topics: string[], records: number, more = {}) =>
    ({
      app: 'a',
      pipeline: 'p',
      pid: 1,
      component,
      name,
      topics,
      state: 'ok',
      records,
      dlq: 0,
      ts: 0,
      ...more,
    }) as ComponentStatus;
  const buzz = [
    st('source', 'generator', ['buzz'], 12_345),
    st('sink', 'jsonl-buzz', ['buzz'], 12_340),
    st('sink', 'sqlite-buzz', ['buzz'], 12_001, { dlq: 2 }),
    st('sink', 'jsonl-buzz.stats', ['buzz.stats'], 77),
  ];
  const smoker = [
    st('source', 'csv', ['smoker'], 9),
    st('sink', 'duckdb-smoker', ['smoker'], 9, { state: 'retrying' }),
  ];
  // A windowed app whose windows sent records to .late: its two windowed steps' counts add up.
  const windows = [
    st('source', 'generator', ['win.messages'], 3000),
    st('processor', 'key-by-0', ['win.messages'], 3000, { late: 0 }),
    st('processor', 'window-2', ['win-repartition-1'], 3000, { late: 316 }),
    st('processor', 'window-3', ['win-repartition-1'], 3000, { late: 1_000 }),
  ];
  const lines = summaryLines(
    new Map([
      ['buzz', buzz],
      ['smoker', smoker],
      ['windows', windows],
    ]),
  );
  assert.deepEqual(lines, [
    'buzz     12,345 produced · 12,001 in every sink · derived: buzz.stats 77 · 2 dead-lettered',
    'smoker   9 produced · 9 in every sink · duckdb-smoker retrying',
    'windows  3,000 produced · 1,316 late',
  ]);
});
