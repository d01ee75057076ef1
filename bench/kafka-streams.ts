/**
 * `node bench/kafka-streams.ts [--records N] [--partitions P] [--authors A] [--rounds R]`: runnel against
 * Kafka Streams, the engine users would pick instead, on the same Kafka broker (RUNNEL_TEST_KAFKA or
 * 127.0.0.1:9092), the same records and the same job: a count per author per 10 s tumbling window by
 * event time (the value's `ts`), one final result per window, both exactly-once (Kafka Streams'
 * exactly_once_v2; runnel's Kafka transactions through its state backend).
 *
 * The input is written once. Each round runs runnel (`runnel consume bench/apps/windowed-count.ts --drain`)
 * and the Java app (bench/kafka-streams, built here with `mvn -q package` if its jar is missing), each as
 * a fresh process with fresh groups, state and output topic, interleaved so drift hits both alike. A run
 * is timed from its process start to the moment its group's committed offsets cover the whole input
 * (polled every 50 ms); "steady" leaves out start-up (from the first committed offsets on). Both outputs
 * are then read (read-committed) and checked against the reference computed here. Figures, not
 * assertions; medians of the rounds, and the ratio pair by pair.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KafkaBroker } from '../src/brokers/kafka/kafka-broker.ts';
import { kafkaAnswers } from '../src/brokers/kafka/server.ts';
import { compareWindows, expectedWindows, type WindowedInput, windowedRecord } from './windowed-data.ts';

const ADDRESS = process.env.RUNNEL_TEST_KAFKA ?? '127.0.0.1:9092';
const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'src/cli/main.ts');
const APP = join(ROOT, 'bench/apps/windowed-count.ts');
const JAVA_DIR = join(ROOT, 'bench/kafka-streams');
const JAR = join(JAVA_DIR, 'target/windowed-count.jar');

export interface EngineRun {
  engine: 'runnel' | 'kafka-streams';
  /** records/s from process start to the whole input committed. */
  wall: number;
  /** records/s from the first committed offsets to the last. */
  steady: number;
  cpuS: number;
  peakMb: number;
  check: { ok: boolean; line: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Builds the Kafka Streams app's jar when missing (Maven Central, cached in ~/.m2). */
function ensureJar(): void {
  if (existsSync(JAR)) return;
  const r = spawnSync('mvn', ['-q', 'package'], { cwd: JAVA_DIR, stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(JAR)) throw new Error('mvn -q package failed in bench/kafka-streams');
}

async function prefill(b: KafkaBroker, topic: string, o: WindowedInput): Promise<number> {
  await b.createTopic(topic, { partitions: o.partitions });
  const t = performance.now();
  const CHUNK = 5000;
  for (let i = 0; i < o.n; i += CHUNK) {
    const batch = [];
    for (let j = i; j < Math.min(o.n, i + CHUNK); j++) batch.push(windowedRecord(j, o));
    await b.produce(topic, batch);
  }
  return performance.now() - t;
}

/** Sum of a group's committed offsets on `topic` (undefined: no group yet). */
async function committed(b: KafkaBroker, groupPrefix: string, topic: string): Promise<number> {
  const groups = await b.listGroups().catch(() => []);
  let sum = 0;
  for (const g of groups) if (g.group.startsWith(groupPrefix) && g.topic === topic) sum += g.committed;
  return sum;
}

/** Every record of a topic, read-committed, from each partition's start to its end. */
async function readTopic(b: KafkaBroker, topic: string): Promise<Array<{ key: string; start: number; n: number }>> {
  const info = await b.describeTopic(topic);
  const out: Array<{ key: string; start: number; n: number }> = [];
  for (const p of info?.partitions ?? []) {
    for (let at = p.startOffset; at < p.endOffset; ) {
      const got = await b.read(topic, p.partition, at, 5000);
      if (got.length === 0) break;
      for (const r of got) out.push(r.value as { key: string; start: number; n: number });
      at = got.at(-1)!.offset + 1;
    }
  }
  return out;
}

/** Runs one engine's process under /usr/bin/time until its group committed the whole input. */
async function timed(
  b: KafkaBroker,
  engine: EngineRun['engine'],
  argv: string[],
  env: NodeJS.ProcessEnv,
  groupPrefix: string,
  input: string,
  n: number,
  selfExits: boolean,
  resultsOut: () => Promise<boolean>,
): Promise<Omit<EngineRun, 'check'>> {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-bench-ks-time-'));
  const timeFile = join(dir, 'time');
  const t0 = performance.now();
  const child: ChildProcess = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, ...argv], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => {
    exitCode = c;
  });
  let first: { t: number; c: number } | undefined;
  let done = 0;
  for (;;) {
    const c = await committed(b, groupPrefix, input);
    const t = performance.now();
    if (c > 0 && !first) first = { t, c };
    // Done once the whole input is committed and every expected result is readable (read-committed):
    // an engine whose results trail its offsets is timed until they are out, for up to 15 s more.
    if (c >= n) {
      const deadline = t + 15_000;
      while (!(await resultsOut()) && performance.now() < deadline) await sleep(200);
      done = performance.now();
      break;
    }
    if (exitCode !== undefined) throw new Error(`${engine} exited (${exitCode}) at ${c}/${n}: ${stderr}`);
    await sleep(50);
  }
  if (!selfExits) {
    // /usr/bin/time's child: the JVM, stopped gracefully (its shutdown hook closes Kafka Streams).
    const pid = spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')[0];
    if (pid) process.kill(Number(pid), 'SIGTERM');
  }
  await exited;
  const [user, sys, kb] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  rmSync(dir, { recursive: true, force: true });
  const f = first ?? { t: t0, c: 0 };
  return {
    engine,
    wall: Math.round((n * 1000) / (done - t0)),
    steady: done > f.t ? Math.round(((n - f.c) * 1000) / (done - f.t)) : 0,
    cpuS: user! + sys!,
    peakMb: Math.round(kb! / 1024),
  };
}

async function runnelRun(b: KafkaBroker, tag: string, input: string, o: WindowedInput): Promise<EngineRun> {
  const app = `${tag}-runnel`;
  const output = `${tag}-runnel-out`;
  const dir = mkdtempSync(join(tmpdir(), 'runnel-bench-ks-'));
  const env = {
    BENCH_APP: app,
    BENCH_INPUT: input,
    BENCH_OUTPUT: output,
    BENCH_PARTITIONS: String(o.partitions),
    ...(process.env.BENCH_CPU_PROF ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_CPU_PROF}` } : {}),
  };
  const argv = [
    process.execPath,
    CLI,
    'consume',
    APP,
    '--drain',
    '--quiet',
    '--broker',
    `kafka://${ADDRESS}`,
    '--data-dir',
    join(dir, 'data'),
    '--state-dir',
    join(dir, 'state'),
  ];
  const want = expectedWindows(o).size;
  const out = async () => (await readTopic(b, output)).length >= want;
  const r = await timed(b, 'runnel', argv, env, `runnel.${app}.task.`, input, o.n, true, out);
  rmSync(dir, { recursive: true, force: true });
  return { ...r, check: compareWindows(await readTopic(b, output), expectedWindows(o)) };
}

async function kafkaStreamsRun(b: KafkaBroker, tag: string, input: string, o: WindowedInput): Promise<EngineRun> {
  const appId = `${tag}-ks`;
  const output = `${tag}-ks-out`;
  await b.createTopic(output, { partitions: o.partitions });
  const dir = mkdtempSync(join(tmpdir(), 'runnel-bench-ks-state-'));
  const argv = ['java', '-jar', JAR, ADDRESS, input, output, appId, dir];
  const want = expectedWindows(o).size;
  const out = async () => (await readTopic(b, output)).length >= want;
  const r = await timed(b, 'kafka-streams', argv, {}, appId, input, o.n, false, out);
  rmSync(dir, { recursive: true, force: true });
  return { ...r, check: compareWindows(await readTopic(b, output), expectedWindows(o)) };
}

async function dropTopics(b: KafkaBroker, prefix: string): Promise<void> {
  const names = (await b.admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (names.length > 0) await b.admin.deleteTopics({ topics: names }).catch(() => {});
}

export async function benchKafkaStreams(o: WindowedInput & { rounds: number }): Promise<EngineRun[]> {
  ensureJar();
  const b = new KafkaBroker(`kafka://${ADDRESS}`);
  await b.connect();
  const run = `bench-ks-${Date.now().toString(36)}`;
  const input = `${run}-in`;
  try {
    const ms = await prefill(b, input, o);
    console.log(
      `input: ${o.n} records (${o.authors} authors, ${o.partitions} partitions) written in ${Math.round(ms)} ms; load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    const runs: EngineRun[] = [];
    for (let round = 0; round < o.rounds; round++) {
      // Alternate who goes first, so neither always runs on the warmer broker.
      const order = round % 2 === 0 ? [runnelRun, kafkaStreamsRun] : [kafkaStreamsRun, runnelRun];
      for (const f of order) {
        const r = await f(b, `${run}-r${round}`, input, o);
        runs.push(r);
        console.log(
          `  round ${round} ${r.engine.padEnd(13)} wall ${String(r.wall).padStart(7)}/s  steady ${String(r.steady).padStart(7)}/s  cpu ${r.cpuS.toFixed(1)} s  peak ${r.peakMb} MB  ${r.check.line}`,
        );
      }
    }
    return runs;
  } finally {
    await dropTopics(b, run);
    await b.close();
  }
}

export function summarize(runs: EngineRun[]): Array<[string, number, string]> {
  const r = runs.filter((x) => x.engine === 'runnel');
  const k = runs.filter((x) => x.engine === 'kafka-streams');
  const ratios = r.map((x, i) => x.wall / k[i]!.wall);
  const steadyRatios = r.map((x, i) => x.steady / k[i]!.steady);
  const ok = runs.every((x) => x.check.ok) ? 'results equal the reference in every run' : 'RESULTS DIFFER (see above)';
  return [
    [
      'windowed count EOS, runnel (kafka)',
      median(r.map((x) => x.wall)),
      `steady ${median(r.map((x) => x.steady))}/s, cpu ${median(r.map((x) => x.cpuS)).toFixed(1)} s, peak ${median(r.map((x) => x.peakMb))} MB`,
    ],
    [
      'windowed count EOS, Kafka Streams',
      median(k.map((x) => x.wall)),
      `steady ${median(k.map((x) => x.steady))}/s, cpu ${median(k.map((x) => x.cpuS)).toFixed(1)} s, peak ${median(k.map((x) => x.peakMb))} MB`,
    ],
    [
      'runnel / Kafka Streams',
      Number(median(ratios).toFixed(2)),
      `× (median of pairs; steady ${median(steadyRatios).toFixed(2)}×); ${ok}`,
    ],
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '1000000' },
      partitions: { type: 'string', default: '2' },
      authors: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '3' },
    },
  });
  if (!(await kafkaAnswers(ADDRESS))) {
    console.error(`no Kafka at ${ADDRESS}: start one with: npm run kafka:start`);
    process.exit(1);
  }
  console.log(`runnel vs Kafka Streams on Kafka at ${ADDRESS}, node ${process.version}`);
  const runs = await benchKafkaStreams({
    n: Number(values.records),
    partitions: Number(values.partitions),
    authors: Number(values.authors),
    rounds: Number(values.rounds),
  });
  for (const [name, v, note] of summarize(runs)) console.log(`${name.padEnd(40)} ${String(v).padStart(9)}  ${note}`);
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}
