/**
 * `node bench/state.ts [--records N] [--keys K] [--partitions P] [--skip-rss]`: keyed state.
 *
 * 1. Peak memory: N records over K keys (default 10M over 100k) pre-filled on a local broker, through
 *    the keyed process step of bench/apps/keyed-state.ts by `runnel consume --drain` under /usr/bin/time
 *    (its maximum resident set size), checked against the counts computed here.
 * 2. Checkpoint time per batch: the engine's store (StoreState) holding 10k or 1M keys, C keys changed per
 *    batch (1k, 10k), each batch committed through the local state backend (one SQLite transaction) and,
 *    when a Kafka answers, the Kafka one (one transaction to the changelog); median over 15 batches. It
 *    should follow the keys changed, not the keys held. A store with a TTL is measured too.
 * 3. Restore: 1M keys from the local broker's state table and from a Kafka changelog (compacted topic).
 * Figures, not assertions.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KafkaBroker } from '../src/brokers/kafka/kafka-broker.ts';
import { kafkaAnswers } from '../src/brokers/kafka/server.ts';
import { LocalBroker } from '../src/brokers/local/local-broker.ts';
import type { Consumer, StateBackend, StatefulBroker } from '../src/core/broker.ts';
import { StoreState } from '../src/processing/state/store-state.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'src/cli/main.ts');
const APP = join(ROOT, 'bench/apps/keyed-state.ts');
const ADDRESS = process.env.RUNNEL_TEST_KAFKA ?? '127.0.0.1:9092';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
type Row = [string, number, string];

/** 1. The engine's peak RSS on N records over K keys. */
async function peakMemory(n: number, keys: number, partitions: number, say: (s: string) => void): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-bench-state-rss-'));
  try {
    const url = `local:${join(dir, 'broker.db')}`;
    const b = new LocalBroker(url);
    await b.connect();
    const input = 'bench.state.in';
    await b.createTopic(input, { partitions });
    let t = performance.now();
    for (let i = 0; i < n; i += 10_000) {
      const batch = [];
      for (let j = i; j < Math.min(n, i + 10_000); j++) batch.push({ key: `k${j % keys}`, value: { v: j % 1000 } });
      await b.produce(input, batch);
    }
    await b.close();
    say(`  input: ${n} records over ${keys} keys written in ${Math.round(performance.now() - t)} ms`);
    t = performance.now();
    const r = spawnSync(
      '/usr/bin/time',
      [
        '-f',
        '%e %U %S %M',
        '-o',
        join(dir, 'time'),
        process.execPath,
        CLI,
        'consume',
        APP,
        '--drain',
        '--quiet',
        '--broker',
        url,
        '--data-dir',
        join(dir, 'data'),
        '--state-dir',
        join(dir, 'state'),
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, BENCH_APP: 'bench-state', BENCH_INPUT: input, BENCH_PARTITIONS: String(partitions) },
      },
    );
    if (r.status !== 0) throw new Error(`runnel consume failed: ${r.stderr}`);
    const [wall, user, sys, kb] = readFileSync(join(dir, 'time'), 'utf8')
      .trim()
      .split('\n')
      .at(-1)!
      .split(' ')
      .map(Number);
    // The counts it committed, against the input's.
    const c = new LocalBroker(url);
    await c.connect();
    // The state log folded as a restore folds it: per store partition, in commit order, the latest value of
    // each key ([key] deletes it, [key, value, expiresAt] sets it).
    const latest = new Map<string, unknown>();
    // The step's own store (bench/apps/keyed-state.ts), not the engine's bookkeeping beside it.
    const rows = c.db
      .prepare('SELECT store, partition, changes FROM state_log WHERE store = ? ORDER BY rowid')
      .iterate('bench-state/acc.acc') as Iterable<{
      store: string;
      partition: number;
      changes: string;
    }>;
    for (const row of rows) {
      for (const e of JSON.parse(row.changes) as Array<[string, unknown?, unknown?]>) {
        const k = `${row.store}\u0000${row.partition}\u0000${e[0]}`;
        if (e.length === 1) latest.delete(k);
        else latest.set(k, e[1]);
      }
    }
    await c.close();
    const keysHeld = latest.size;
    let total = 0;
    for (const v of latest.values()) total += (v as { n: number }).n;
    const ok = keysHeld === keys && total === n;
    return [
      [
        `state: ${n / 1e6}M records over ${keys / 1000}k keys`,
        Math.round(n / wall!),
        `peak RSS ${Math.round(kb! / 1024)} MB, ${wall} s wall, cpu ${(user! + sys!).toFixed(1)} s (runnel consume --drain); ${ok ? `state holds ${keysHeld} keys, counts add up` : `STATE WRONG: ${keysHeld} keys, ${total} counted`}`,
      ],
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Commits a store's pending changes through a backend; the time of one checkpoint. */
async function checkpoint(backend: StateBackend, consumer: Consumer, store: StoreState): Promise<number> {
  const t = performance.now();
  store.expire(Date.now());
  const changes = store.takeChanges();
  await backend.commit(consumer, {
    outputs: [],
    positions: [],
    state: changes.length > 0 ? [{ store: store.name, partition: 0, changes }] : [],
  });
  return performance.now() - t;
}

/** Loads `held` keys into a store and commits them, in chunks. */
async function fill(backend: StateBackend, consumer: Consumer, store: StoreState, held: number): Promise<void> {
  for (let i = 0; i < held; i++) {
    store.set(`key-${i}`, { n: i, sum: i * 3 });
    if (i % 100_000 === 99_999 || i === held - 1) await checkpoint(backend, consumer, store);
  }
}

async function checkpoints(
  broker: StatefulBroker,
  label: string,
  consumerTopic: string,
  say: (s: string) => void,
): Promise<Row[]> {
  const rows: Row[] = [];
  const app = `bench-ckpt-${Date.now().toString(36)}`;
  const consumer = broker.consumer({ group: `${app}-g`, topics: [consumerTopic] });
  for (const ttlMs of [undefined, 3_600_000]) {
    for (const held of [10_000, 1_000_000]) {
      const name = `s${held}${ttlMs ? 't' : ''}`;
      const backend = broker.stateBackend(app, `${app}-g`);
      await backend.prepare([{ name, partitions: 1 }]);
      const store = new StoreState(name, 0, ttlMs);
      await fill(backend, consumer, store, held);
      for (const changed of [1_000, 10_000]) {
        const times: number[] = [];
        for (let batch = 0; batch < 15; batch++) {
          for (let j = 0; j < changed; j++) {
            const k = `key-${Math.floor(Math.random() * held)}`;
            const v = store.get<{ n: number; sum: number }>(k) ?? { n: 0, sum: 0 };
            store.set(k, { n: v.n + 1, sum: v.sum + j });
          }
          times.push(await checkpoint(backend, consumer, store));
        }
        const ms = median(times);
        say(
          `  ${label} ${ttlMs ? 'ttl ' : ''}store: ${held} keys held, ~${changed} changed per batch: ${ms.toFixed(1)} ms per checkpoint`,
        );
        rows.push([
          `checkpoint ${label}${ttlMs ? ' (TTL store)' : ''}: ${held / 1000}k held, ${changed / 1000}k changed`,
          Number(ms.toFixed(1)),
          `ms per batch (median of 15); ${Math.round((changed * 1000) / ms)} keys/s`,
        ]);
      }
      await backend.close();
    }
  }
  await consumer.close();
  return rows;
}

/** 1M keys committed, then restored into a fresh store by a fresh backend. */
async function restore(broker: StatefulBroker, label: string, consumerTopic: string, keys: number): Promise<Row> {
  const app = `bench-restore-${Date.now().toString(36)}`;
  const consumer = broker.consumer({ group: `${app}-g`, topics: [consumerTopic] });
  const backend = broker.stateBackend(app, `${app}-g`);
  await backend.prepare([{ name: 'r', partitions: 1 }]);
  await fill(backend, consumer, new StoreState('r', 0), keys);
  await backend.close();
  await consumer.close();
  const fresh = broker.stateBackend(app, `${app}-g`);
  const store = new StoreState('r', 0);
  const t = performance.now();
  const r = await fresh.restore('r', 0, (k, v, e) => store.load(k, v, e), []);
  const ms = performance.now() - t;
  await fresh.close();
  return [
    `restore ${keys / 1e6}M keys from ${label}`,
    Math.round((r.entries * 1000) / ms),
    `keys/s: ${Math.round(ms)} ms, ${r.entries} entries${store.size === keys ? '' : ` (STORE HOLDS ${store.size})`}`,
  ];
}

export async function benchState(
  o: { records: number; keys: number; partitions: number; skipRss?: boolean },
  say: (s: string) => void = console.log,
): Promise<Row[]> {
  const rows: Row[] = [];
  if (!o.skipRss) rows.push(...(await peakMemory(o.records, o.keys, o.partitions, say)));
  const dir = mkdtempSync(join(tmpdir(), 'runnel-bench-state-'));
  const local = new LocalBroker(`local:${join(dir, 'broker.db')}`);
  await local.connect();
  await local.createTopic('bench.state.ckpt');
  try {
    rows.push(...(await checkpoints(local, 'local', 'bench.state.ckpt', say)));
    rows.push(await restore(local, 'the local broker', 'bench.state.ckpt', 1_000_000));
  } finally {
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (await kafkaAnswers(ADDRESS)) {
    const kafka = new KafkaBroker(`kafka://${ADDRESS}`);
    await kafka.connect();
    const topic = `bench-state-${Date.now().toString(36)}`;
    await kafka.createTopic(topic);
    try {
      rows.push(...(await checkpoints(kafka, 'kafka', topic, say)));
      rows.push(await restore(kafka, 'a Kafka changelog', topic, 1_000_000));
    } finally {
      const names = (await kafka.admin.listTopics()).filter(
        (t) => t.startsWith('bench-ckpt-') || t.startsWith('bench-restore-') || t === topic,
      );
      if (names.length > 0) await kafka.admin.deleteTopics({ topics: names }).catch(() => {});
      await kafka.close();
    }
  } else say(`  no Kafka at ${ADDRESS}: its checkpoint and restore figures skipped`);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '10000000' },
      keys: { type: 'string', default: '100000' },
      partitions: { type: 'string', default: '2' },
      'skip-rss': { type: 'boolean', default: false },
    },
  });
  console.log(
    `keyed state, node ${process.version}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const rows = await benchState({
    records: Number(values.records),
    keys: Number(values.keys),
    partitions: Number(values.partitions),
    skipRss: values['skip-rss'],
  });
  for (const [name, v, note] of rows) console.log(`${name.padEnd(52)} ${String(v).padStart(9)}  ${note}`);
  console.log(
    `load after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}
