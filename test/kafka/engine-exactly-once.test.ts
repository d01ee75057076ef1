/**
 * The engine's exactly-once guarantees through the real CLI on a real Kafka broker (the local broker's
 * twin is test/e2e/engine-exactly-once.test.ts): keyed state in changelog topics, outputs, changelog
 * writes and offsets in one transaction per batch. Checked without a reference run where none is needed:
 * each key's running count must appear exactly as 1, 2, …, n (a duplicate or a loss breaks the sequence)
 * and the counts add up to the records produced. Outputs are read as runnel's consumer reads them
 * (read-committed): a killed process's aborted transactions stay in the log and must not count.
 *
 * Every run gets its own app name and topics (KC_APP/KC_TOPICS, KW_APP/KW_TOPICS), so tests share one broker.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KafkaBroker } from '../../src/brokers/kafka/kafka-broker.ts';
import type { KafkaConsumer } from '../../src/brokers/kafka/kafka-consumer.ts';
import { taskGroup } from '../../src/core/runners/task-runner.ts';
import { unique } from '../broker-conformance/suite.ts';
import { BASE_TS, eventOf, WINDOW_MS } from '../e2e/fixtures/keyed-windows.ts';
import { type CliResult, exited, jsonlValues, runCli, startCli, stopped } from '../helpers/cli.ts';
import { needService } from '../helpers/services.ts';
import { KAFKA_HOW, KAFKA_URL, kafkaAvailable } from './env.ts';

const COUNTS = new URL('../e2e/fixtures/keyed-counts.ts', import.meta.url).pathname;
const COUNTS_LOGGED = new URL('../e2e/fixtures/keyed-counts-fetch-log.ts', import.meta.url).pathname;
const WINDOWS = new URL('../e2e/fixtures/keyed-windows.ts', import.meta.url).pathname;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  /** Env naming the app and its topics. */
  env: Record<string, string>;
  app: string;
  topics: string;
  /** --broker, --data-dir, --state-dir: a fresh folder, so no process finds local state of another. */
  flags: () => string[];
}

function run(kind: 'KC' | 'KW'): Run {
  const app = unique(kind.toLowerCase());
  const topics = unique(`${kind.toLowerCase()}t`);
  return {
    env: { [`${kind}_APP`]: app, [`${kind}_TOPICS`]: topics },
    app,
    topics,
    flags: () => {
      const dir = mkdtempSync(join(tmpdir(), 'runnel-kafka-engine-'));
      return ['--broker', KAFKA_URL, '--data-dir', join(dir, 'data'), '--state-dir', join(dir, 'state')];
    },
  };
}

async function connected(t: import('node:test').TestContext): Promise<KafkaBroker | undefined> {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return undefined;
  const b = new KafkaBroker(KAFKA_URL);
  await b.connect();
  t.after(() => b.close());
  return b;
}

function ok(r: CliResult, what: string): void {
  assert.equal(r.code, 0, `${what} exited ${r.code ?? r.signal}: ${r.stderr.slice(-2000)}`);
}

/** Every record of `topic` as a read-committed consumer of a new group sees it, up to the stable end. */
async function readCommitted<T>(b: KafkaBroker, topic: string): Promise<T[]> {
  const ends = (await b.describeTopic(topic))?.partitions ?? [];
  const c = b.consumer({ group: unique('reader'), topics: [topic] }) as KafkaConsumer;
  const out: T[] = [];
  const deadline = Date.now() + 60_000;
  try {
    while (!ends.every((p) => (c.position(topic, p.partition) ?? -1) >= p.endOffset)) {
      assert.ok(Date.now() < deadline, `reading ${topic} did not reach its end in 60 s`);
      for (const r of await c.poll({ maxRecords: 5000, maxWaitMs: 200 })) out.push(r.value as T);
    }
  } finally {
    await c.close();
  }
  return out;
}

/** Every key's counts are exactly 1..n, in order within the key; returns the total. */
function checkExactlyOnce(values: Array<{ key: string; n: number }>): number {
  const seen = new Map<string, number>();
  for (const v of values) {
    const last = seen.get(v.key) ?? 0;
    assert.equal(v.n, last + 1, `key ${v.key}: count ${v.n} after ${last} (a duplicate or a lost record)`);
    seen.set(v.key, v.n);
  }
  return [...seen.values()].reduce((a, b) => a + b, 0);
}

/** The app's task groups' committed offsets, `topic:partition` → offset. */
async function committed(b: KafkaBroker, app: string): Promise<Map<string, number>> {
  const groups = [...(await b.admin.listGroups()).values()]
    .map((g) => g.id)
    .filter((id) => id.startsWith(taskGroup(app, '')));
  const out = new Map<string, number>();
  if (groups.length === 0) return out;
  for (const g of await b.admin.listConsumerGroupOffsets({ groups })) {
    for (const t of g.topics) {
      for (const p of t.partitions)
        if (p.committedOffset >= 0n) out.set(`${t.name}:${p.partitionIndex}`, Number(p.committedOffset));
    }
  }
  return out;
}

const progressOf = async (b: KafkaBroker, app: string) =>
  [...(await committed(b, app)).values()].reduce((a, n) => a + n, 0);

/** A CLI process whose output is read (and dropped), so a full pipe never blocks it. */
function start(args: string[], env: Record<string, string>): ChildProcess {
  const child = startCli(args, { env });
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

/**
 * Runs `consume --drain`, SIGKILLs it once the app's groups have committed `target` offsets in all (or
 * after `maxMs`); returns whether it was killed (false: it finished first).
 */
async function killAtProgress(b: KafkaBroker, r: Run, fixture: string, target: number, maxMs = 90_000) {
  const child = start(['consume', fixture, '--drain', ...r.flags()], r.env);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let done = false;
  void exited(child).then(() => (done = true));
  const started = Date.now();
  while (!done && Date.now() - started < maxMs && (await progressOf(b, r.app)) < target) await sleep(100);
  const killed = !done;
  if (killed) child.kill('SIGKILL');
  await exited(child);
  return { killed, at: await progressOf(b, r.app), stderr };
}

test('kafka: keyed state is exactly-once across kill -9 at random progress points', { timeout: 600_000 }, async (t) => {
  const b = await connected(t);
  if (!b) return;
  const started = Date.now();
  const r = run('KC');
  const N = 30_000;
  ok(await runCli(['produce', COUNTS, '--limit', String(N), '--rate', '0', ...r.flags()], { env: r.env }), 'produce');
  // Progress = offsets committed by both steps (the re-keying one and the count), up to about 2N.
  let at = 0;
  for (let kill = 0; kill < 4; kill++) {
    const target = at + Math.floor(Math.random() * 0.35 * N) + 1000;
    const k = await killAtProgress(b, r, COUNTS, target);
    t.diagnostic(`run ${kill + 1}: ${k.killed ? 'killed' : 'finished'} at progress ${k.at} (target ${target})`);
    at = k.at;
  }
  ok(await runCli(['consume', COUNTS, '--drain', ...r.flags()], { env: r.env, timeoutMs: 180_000 }), 'last consume');
  const total = checkExactlyOnce(await readCommitted(b, `${r.topics}.counts`));
  assert.equal(total, N);
  t.diagnostic(`took ${Math.round((Date.now() - started) / 1000)} s`);
});

/**
 * Three `consume` processes share the 6 partitions of N produced records; `disturb` does something to one
 * of them once the app's groups have committed offsets past a random share of the work (and says what);
 * a draining consume then finishes. The counts must be exactly-once, as one process's would be.
 */
async function threeWorkers(
  t: import('node:test').TestContext,
  share: [number, number],
  disturb: (workers: ChildProcess[], restart: () => ChildProcess, b: KafkaBroker, r: Run) => Promise<string>,
): Promise<void> {
  const b = await connected(t);
  if (!b) return;
  const started = Date.now();
  const r = run('KC');
  const N = 60_000;
  ok(await runCli(['produce', COUNTS, '--limit', String(N), '--rate', '0', ...r.flags()], { env: r.env }), 'produce');
  const restart = () => start(['consume', COUNTS, ...r.flags()], r.env);
  const workers = [0, 1, 2].map(restart);
  t.after(() => {
    for (const w of workers) w.kill('SIGKILL');
  });
  const target = Math.floor((share[0] + Math.random() * (share[1] - share[0])) * N);
  const deadline = Date.now() + 120_000;
  while ((await progressOf(b, r.app)) < target && Date.now() < deadline) await sleep(100);
  t.diagnostic(`${await disturb(workers, restart, b, r)} (progress ~${2 * N} in all)`);
  const done = await runCli(['consume', COUNTS, '--drain', ...r.flags()], { env: r.env, timeoutMs: 240_000 });
  ok(done, 'draining consume');
  const stops = await Promise.all(workers.map((w) => stopped(w)));
  assert.deepEqual(stops, [true, true, true], 'every worker stops within 60 s of SIGTERM');
  const total = checkExactlyOnce(await readCommitted(b, `${r.topics}.counts`));
  assert.equal(total, N);
  t.diagnostic(`took ${Math.round((Date.now() - started) / 1000)} s`);
}

test(
  'kafka: three consume processes share 6 partitions; one killed and restarted mid-run changes nothing',
  {
    timeout: 600_000,
  },
  (t) =>
    threeWorkers(t, [0.2, 0.6], async (workers, restart, b, r) => {
      workers[1]!.kill('SIGKILL');
      await exited(workers[1]!);
      const at = await progressOf(b, r.app);
      workers[1] = restart();
      return `killed one worker at progress ${at}`;
    }),
);

test(
  'kafka: a worker stalled past its session timeout, then resumed, changes nothing',
  {
    timeout: 600_000,
  },
  (t) =>
    threeWorkers(t, [0.1, 0.4], async (workers, _restart, b, r) => {
      // Frozen past the session timeout (10 s), so the group drops it and deals its partitions to the others,
      // and resumed before its open transaction is certainly aborted (its 10 s timeout, checked every 10 s):
      // the zombie may finish a transaction whose offsets it committed before it froze, and it must not carry
      // on with the state and positions it held.
      const at = await progressOf(b, r.app);
      workers[1]!.kill('SIGSTOP');
      await sleep(15_000);
      workers[1]!.kill('SIGCONT');
      return `stalled one worker for 15 s from progress ${at}`;
    }),
);

test('kafka: a worker that takes over partitions restores them from the changelog, never reading the input from 0', {
  timeout: 600_000,
}, async (t) => {
  const b = await connected(t);
  if (!b) return;
  const started = Date.now();
  const r = run('KC');
  const N1 = 20_000;
  const N2 = 60_000;
  ok(await runCli(['produce', COUNTS, '--limit', String(N1), '--rate', '0', ...r.flags()], { env: r.env }), 'produce');
  ok(await runCli(['consume', COUNTS, '--drain', ...r.flags()], { env: r.env }), 'first consume');
  ok(await runCli(['produce', COUNTS, '--limit', String(N2), '--rate', '0', ...r.flags()], { env: r.env }), 'produce');
  const before = await committed(b, r.app);
  const inputs = new Set([...before.keys()].map((k) => k.slice(0, k.lastIndexOf(':'))));
  assert.ok(inputs.has(`${r.topics}.in`) && inputs.size === 2, `both steps committed: ${[...inputs]}`);
  // Only 4 authors feed the input: its empty partitions stay at 0, every other one was read before.
  const read = [...before].filter(([, offset]) => offset > 0);
  assert.ok(read.length >= 4, `partitions read before: ${read.map(([tp]) => tp)}`);

  // A worker that owns everything and is busy, then a second one with nothing local: partitions move to it.
  const first = start(['consume', COUNTS, ...r.flags()], r.env);
  t.after(() => first.kill('SIGKILL'));
  const total0 = [...before.values()].reduce((a, n) => a + n, 0);
  const deadline = Date.now() + 60_000;
  while ((await progressOf(b, r.app)) <= total0 && Date.now() < deadline) await sleep(50);
  const log = join(mkdtempSync(join(tmpdir(), 'runnel-fetch-log-')), 'fetches.jsonl');
  const second = await runCli(['consume', COUNTS_LOGGED, '--drain', ...r.flags()], {
    env: { ...r.env, KC_FETCH_LOG: log },
    timeoutMs: 240_000,
  });
  ok(second, 'second worker');
  first.kill('SIGTERM');
  await exited(first);

  const fetched = readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l)
    .map((l) => JSON.parse(l) as { topic: string; partition: number; offset: number });
  const changelog = fetched.filter((f) => f.topic.startsWith(`${r.app}-`) && f.topic.endsWith('-changelog'));
  assert.ok(changelog.length > 0, 'the second worker read a changelog');
  assert.match(second.stderr, /restored \d+ state entr(y|ies)/);
  const inputFetches = fetched.filter((f) => inputs.has(f.topic));
  assert.ok(inputFetches.length > 0, 'the second worker read its inputs');
  for (const f of inputFetches) {
    const from = before.get(`${f.topic}:${f.partition}`)!;
    assert.ok(f.offset >= from, `fetched ${f.topic}[${f.partition}] at ${f.offset}, before the committed ${from}`);
  }
  const ofReadPartitions = inputFetches.filter((f) => before.get(`${f.topic}:${f.partition}`)! > 0);
  assert.ok(ofReadPartitions.length > 0, 'the second worker took over partitions that had been read');
  t.diagnostic(
    `second worker: ${changelog.length} changelog fetches; lowest input fetch of a partition read before: ` +
      `${Math.min(...ofReadPartitions.map((f) => f.offset))}`,
  );
  const total = checkExactlyOnce(await readCommitted(b, `${r.topics}.counts`));
  assert.equal(total, N1 + N2);
  t.diagnostic(`took ${Math.round((Date.now() - started) / 1000)} s`);
});

test("kafka: a sink reading an engine step's transactional output drains to its end", {
  timeout: 300_000,
}, async (t) => {
  const b = await connected(t);
  if (!b) return;
  const started = Date.now();
  const r = run('KC');
  const env = { ...r.env, KC_SINK: '1' };
  const N = 5000;
  ok(await runCli(['produce', COUNTS, '--limit', String(N), '--rate', '0', ...r.flags()], { env }), 'produce');
  const flags = r.flags();
  // The last record of the output is followed by its transaction's commit marker: the sink's group must
  // commit past it, or the drain waits for an offset it never reaches.
  ok(await runCli(['consume', COUNTS, '--sinks', 'jsonl', '--drain', ...flags], { env, timeoutMs: 90_000 }), 'consume');
  const file = join(flags[flags.indexOf('--data-dir') + 1]!, `${r.topics}.counts.jsonl`);
  assert.equal(checkExactlyOnce(jsonlValues<{ key: string; n: number }>(file)), N);
  t.diagnostic(`took ${Math.round((Date.now() - started) / 1000)} s`);
});

interface WindowResult {
  key: string;
  start: number;
  end: number;
  final: boolean;
  n: number;
  sum: number;
}

const windowId = (w: WindowResult) => `${w.key}@${w.start}`;

test('kafka: a keyed windowed run killed mid-run gives the same final windows as an uninterrupted run', {
  timeout: 600_000,
}, async (t) => {
  const b = await connected(t);
  if (!b) return;
  const started = Date.now();
  const N = 30_000;
  const clean = run('KW');
  const crashed = run('KW');
  for (const r of [clean, crashed])
    ok(
      await runCli(['produce', WINDOWS, '--limit', String(N), '--rate', '0', ...r.flags()], { env: r.env }),
      'produce',
    );
  ok(await runCli(['consume', WINDOWS, '--drain', ...clean.flags()], { env: clean.env }), 'uninterrupted consume');
  let at = 0;
  const logs: string[] = [];
  for (let kill = 0; kill < 3; kill++) {
    const target = at + Math.floor(Math.random() * 0.4 * N) + 1000;
    const k = await killAtProgress(b, crashed, WINDOWS, target);
    t.diagnostic(`run ${kill + 1}: ${k.killed ? 'killed' : 'finished'} at progress ${k.at} (target ${target})`);
    logs.push(`run ${kill + 1}: ${k.stderr}`);
    at = k.at;
  }
  const last = await runCli(['consume', WINDOWS, '--drain', ...crashed.flags()], { env: crashed.env });
  ok(last, 'last consume');
  logs.push(`last consume: ${last.stderr.slice(-4000)}`);

  const want = await readCommitted<WindowResult>(b, `${clean.topics}.windows`);
  // A transaction of the last consume whose commit markers were not written yet would hide its windows from
  // a read-committed reader: said in a failure (the last one may close tens of seconds of every user's).
  const unsettled = await b.pendingWrites([`${crashed.topics}.windows`]);
  const got = await readCommitted<WindowResult>(b, `${crashed.topics}.windows`);
  const sorted = (xs: WindowResult[]) => [...xs].sort((x, y) => x.start - y.start || x.key.localeCompare(y.key));
  assert.equal(new Set(got.map(windowId)).size, got.length, 'no window result twice');
  const have = new Set(got.map(windowId));
  const missing = want.filter((w) => !have.has(windowId(w)));
  if (missing.length > 0 || got.length !== want.length) {
    // Said in the failure itself (a diff of 1,600 windows shows only its head), so a failure that shows
    // once in many runs can be read: which users' windows are missing, over which event times (one
    // repartition partition's users from some time on: a task stuck; spread: records gone late), what went
    // to .late, and what the runs printed.
    const late = await readCommitted<unknown>(b, `${crashed.topics}.in.late`).catch(() => []);
    const byUser = new Map<string, number[]>();
    for (const w of missing) byUser.set(w.key, [...(byUser.get(w.key) ?? []), (w.start - BASE_TS) / 1000]);
    const users = [...byUser].map(([u, s]) => `${u}: ${s.length} from ${Math.min(...s)} s to ${Math.max(...s)} s`);
    const wrong = got.filter((w) => want.some((x) => windowId(x) === windowId(w) && x.n !== w.n)).length;
    assert.fail(
      `${missing.length} window(s) missing (${users.join('; ')}), ${wrong} with other counts, ` +
        `${got.length - (want.length - missing.length)} extra; ${late.length} record(s) in .late; ` +
        `${unsettled ? 'a transaction was' : 'no transaction'} unsettled on the output when it was read\n` +
        logs.join('\n'),
    );
  }
  assert.deepEqual(sorted(got), sorted(want));

  // Both against a brute-force reference: every result exact, and every window the watermark must have
  // closed (its end at or before the lowest input partition's last event time) present.
  const ref = new Map<string, { n: number; sum: number }>();
  for (let seq = 0; seq < N; seq++) {
    const e = eventOf(seq);
    const start = e.ts - ((e.ts - BASE_TS) % WINDOW_MS);
    const id = `${e.user}@${start}`;
    const w = ref.get(id) ?? { n: 0, sum: 0 };
    w.n++;
    w.sum += seq;
    ref.set(id, w);
  }
  for (const w of got) {
    assert.equal(w.final, true);
    assert.deepEqual({ n: w.n, sum: w.sum }, ref.get(windowId(w)), `window ${windowId(w)}`);
  }
  const parts = (await b.describeTopic(`${crashed.topics}.in`))!.partitions.length;
  const byPartition = await maxTsPerPartition(b, `${crashed.topics}.in`, parts);
  const closedBy = Math.min(...byPartition);
  const mustClose = [...ref.keys()].filter((id) => Number(id.split('@')[1]) + WINDOW_MS <= closedBy);
  assert.ok(mustClose.length > ref.size / 2, `most windows close (${mustClose.length} of ${ref.size})`);
  for (const id of mustClose) assert.ok(have.has(id), `window ${id} closed but was never emitted`);
  t.diagnostic(`${got.length} window results; took ${Math.round((Date.now() - started) / 1000)} s`);
});

/** The largest event time in each partition of `topic`, read as a group member would. */
async function maxTsPerPartition(b: KafkaBroker, topic: string, partitions: number): Promise<number[]> {
  const out = new Array<number>(partitions).fill(Number.NEGATIVE_INFINITY);
  const ends = (await b.describeTopic(topic))!.partitions;
  const c = b.consumer({ group: unique('reader'), topics: [topic] }) as KafkaConsumer;
  try {
    while (!ends.every((p) => (c.position(topic, p.partition) ?? -1) >= p.endOffset)) {
      for (const r of await c.poll({ maxRecords: 5000, maxWaitMs: 200 })) {
        const ts = (r.value as { ts: number }).ts;
        if (ts > out[r.partition]!) out[r.partition] = ts;
      }
    }
  } finally {
    await c.close();
  }
  return out;
}
