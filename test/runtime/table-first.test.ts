/**
 * A stream joined to a table, both already on their topics when the join starts (`runnel consume` after
 * `runnel produce`, a restart with a backlog): every stream record finds the latest value written for its key,
 * whatever order the polls bring the two topics in. The stream waits until the table is read to its end; it
 * waited for nothing before, and an inner join dropped every record read ahead of its key's table value.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KafkaBroker } from '../../src/brokers/kafka/kafka-broker.ts';
import type { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import type { Broker } from '../../src/core/broker.ts';
import { runPipeline } from '../../src/core/pipeline.ts';
import { defineApp, z } from '../../src/index.ts';
import { unique } from '../broker-conformance/suite.ts';
import { tempBroker } from '../dashboard/fixtures.ts';
import { needService } from '../helpers/services.ts';
import { KAFKA_HOW, KAFKA_URL, kafkaAvailable } from '../kafka/env.ts';

const Click = z.object({ user: z.string(), n: z.number() });
const Profile = z.object({ country: z.string(), version: z.number() });

/** Topic names, prefixed on Kafka (one broker shared by every test run). */
const names = (prefix = '') => ({
  clicks: `${prefix}clicks`,
  profiles: `${prefix}profiles`,
  joined: `${prefix}joined`,
});

function joinApp(rekey: boolean, n = names(), id = 'tf') {
  return defineApp({
    name: id,
    partitions: 3,
    pipeline(t) {
      const profiles = t.table(n.profiles, { schema: Profile });
      const clicks = t.stream(n.clicks, { schema: Click });
      (rekey ? clicks.keyBy((c) => c.user) : clicks.keyedByTopic())
        .join(profiles, (c, p) => ({ user: c.user, n: c.n, country: p.country, version: p.version }))
        .to(n.joined);
    },
  });
}

async function readAll<T>(broker: Broker, topic: string): Promise<T[]> {
  const out: T[] = [];
  for (const p of (await broker.describeTopic(topic))?.partitions ?? [])
    for (const r of await broker.read(topic, p.partition, 0, p.endOffset)) out.push(r.value as T);
  return out;
}

/** A log that keeps the warnings. */
function warningsLog() {
  const warnings: string[] = [];
  return { warnings, log: { info() {}, debug() {}, error() {}, warn: (m: string) => warnings.push(m) } };
}

/** Polls `done` every 50 ms until it holds or `ms` pass. */
async function until(done: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !(await done())) await new Promise((r) => setTimeout(r, 50));
}

/** `fn` on a fresh local broker in a folder of its own, both gone after. */
async function onLocalBroker(fn: (broker: LocalBroker, dir: string) => Promise<void>): Promise<void> {
  const { broker, dir } = await tempBroker();
  try {
    await fn(broker, dir);
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes the stream, then two versions of every profile; runs the join to the end; checks every click. */
async function backlogJoin(broker: Broker, dir: string, rekey: boolean, n = names(), id = 'tf'): Promise<void> {
  const users = Array.from({ length: 40 }, (_, i) => `u${i}`);
  for (const topic of Object.values(n)) await broker.createTopic(topic, { partitions: 3 });
  // The stream first, then two versions of every profile: a join must see the second.
  const clicks = Array.from({ length: 3000 }, (_, i) => ({ user: users[(i * 7) % users.length]!, n: i }));
  for (let i = 0; i < clicks.length; i += 500)
    await broker.produce(
      n.clicks,
      clicks.slice(i, i + 500).map((c) => ({ key: c.user, value: c })),
    );
  for (const version of [1, 2])
    await broker.produce(
      n.profiles,
      users.map((u, i) => ({ key: u, value: { country: `c${(i + version) % 5}`, version } })),
    );
  const spec = await joinApp(rekey, n, id).build({ dataDir: join(dir, 'data'), sinks: [], env: {} });
  const { warnings, log } = warningsLog();
  await runPipeline({ broker, spec, log, roles: { sources: false, consumers: true }, drain: true }).done;
  // The reference: each click with its user's last profile.
  const latest = new Map(users.map((u, i) => [u, `c${(i + 2) % 5}`]));
  const want = clicks.map((c) => `${c.n}:${c.user}:${latest.get(c.user)}:2`).sort();
  const got = (await readAll<{ user: string; n: number; country: string; version: number }>(broker, n.joined))
    .map((j) => `${j.n}:${j.user}:${j.country}:${j.version}`)
    .sort();
  assert.deepEqual(got, want, warnings.join('\n'));
  assert.deepEqual(
    warnings.filter((w) => /found no value|without its table/.test(w)),
    [],
  );
}

for (const rekey of [false, true]) {
  const how = rekey ? 'behind a keyBy' : 'keyed by its topic';
  test(`a join started on a backlog finds every key's latest table value, the stream written first (${how})`, () =>
    onLocalBroker((broker, dir) => backlogJoin(broker, dir, rekey)));
}

test('on Kafka too: a join started on a backlog finds every latest table value (the consumer position counts)', {
  timeout: 180_000,
}, async (t) => {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return;
  const broker = new KafkaBroker(KAFKA_URL);
  await broker.connect();
  const dir = mkdtempSync(join(tmpdir(), 'runnel-table-first-'));
  const prefix = `${unique('tf')}-`;
  try {
    await backlogJoin(broker, dir, false, names(prefix), prefix.slice(0, -1));
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a table whose end is out of reach holds the stream back only until its position stalls, and says so', () =>
  onLocalBroker(async (broker, dir) => {
    for (const topic of ['clicks', 'profiles', 'joined']) await broker.createTopic(topic, { partitions: 3 });
    await broker.produce('profiles', [{ key: 'ann', value: { country: 'fr', version: 1 } }]);
    await broker.produce(
      'clicks',
      Array.from({ length: 50 }, (_, n) => ({ key: 'ann', value: { user: 'ann', n } })),
    );
    // A broker whose table end is always ahead of what can be read (a partition it will not serve).
    const stuck = new Proxy(broker, {
      get(target, prop, receiver) {
        if (prop === 'describeTopic')
          return async (name: string) => {
            const info = await target.describeTopic(name);
            if (name !== 'profiles' || !info) return info;
            return { ...info, partitions: info.partitions.map((p) => ({ ...p, endOffset: p.endOffset + 10 })) };
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Broker;
    const spec = await joinApp(false).build({ dataDir: join(dir, 'data'), sinks: [], env: {} });
    const { warnings, log } = warningsLog();
    // Not a drain: a drain waits for that end too. Stopped once the join has written every click.
    const running = runPipeline({ broker: stuck, spec, log, roles: { sources: false, consumers: true } });
    await until(async () => (await readAll(broker, 'joined')).length >= 50, 30_000);
    running.stop();
    await running.done;
    const got = await readAll<{ n: number; country: string }>(broker, 'joined');
    assert.deepEqual(
      got.map((j) => j.n).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, n) => n),
    );
    assert.ok(got.every((j) => j.country === 'fr'));
    const said = warnings.filter((w) =>
      /joining without its table caught up: profiles have not moved for 1000 ms/.test(w),
    );
    assert.equal(said.length, 1, warnings.join('\n'));
  }));

test('a table partition whose records are all deleted (retention, a purge) holds nothing back and warns of nothing', () =>
  onLocalBroker(async (broker, dir) => {
    for (const topic of ['clicks', 'profiles', 'joined']) await broker.createTopic(topic, { partitions: 3 });
    // One profile per partition, then every partition's records deleted: start = end > 0, nothing to read.
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    await broker.produce(
      'profiles',
      keys.map((k) => ({ key: k, value: { country: 'old', version: 1 } })),
    );
    for (const p of (await broker.describeTopic('profiles'))!.partitions)
      await broker.deleteRecordsBefore('profiles', p.partition, p.endOffset);
    const bounds = (await broker.describeTopic('profiles'))!.partitions;
    assert.ok(
      bounds.some((p) => p.startOffset === p.endOffset && p.endOffset > 0),
      'the case under test',
    );
    await broker.produce(
      'clicks',
      keys.map((k, n) => ({ key: k, value: { user: k, n } })),
    );
    const spec = await joinApp(false).build({ dataDir: join(dir, 'data'), sinks: [], env: {} });
    const { warnings, log } = warningsLog();
    const running = runPipeline({ broker, spec, log, roles: { sources: false, consumers: true } });
    // Every click is processed (and, its key's value deleted, not joined): the group's offsets reach the end.
    const committed = async () =>
      (await broker.listGroups()).filter((g) => g.topic === 'clicks').reduce((n, g) => n + g.committed, 0);
    await until(async () => (await committed()) >= keys.length, 30_000);
    // Processed, and every one dropped by the inner join (their values were deleted): counted, not silent.
    const unjoined = () =>
      running.statuses().reduce((n, st) => n + (st.component === 'processor' ? (st.unjoined ?? 0) : 0), 0);
    await until(() => unjoined() >= keys.length, 10_000);
    running.stop();
    await running.done;
    assert.equal(await committed(), keys.length);
    assert.equal(unjoined(), keys.length, 'each click the inner join dropped is counted');
    assert.deepEqual(
      warnings.filter((w) => /without its table caught up/.test(w)),
      [],
    );
  }));
