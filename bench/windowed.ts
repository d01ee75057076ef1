/**
 * `node bench/windowed.ts [--records N] [--partitions P] [--authors A] [--rounds R]`: the engine's keyed
 * windowed aggregation on the local broker against a hand-written loop over the same decoded records.
 *
 * The input (buzz-like records keyed by author, event time in `ts`) is written once to a local broker
 * file. Each round runs, in this process and interleaved:
 * - the engine: the defineApp pipeline of bench/apps/windowed-count.ts (count per author per 10 s
 *   tumbling window, final results) through the runtime, as `runnel consume --drain` runs it: tasks,
 *   watermarks, window store, its outputs, state and positions committed in one transaction per batch;
 *   a fresh app name each round, so fresh groups and state;
 * - the baseline: the broker API's `read` over every partition, grouping by author and window in a Map.
 * Both results are checked against the reference computed here. Figures, not assertions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalBroker } from '../src/brokers/local/local-broker.ts';
import { silentLogger } from '../src/core/log.ts';
import { runPipeline } from '../src/core/pipeline.ts';
import { windowedCountApp } from './apps/windowed-count.ts';
import { compareWindows, expectedWindows, WINDOW_MS, type WindowedInput, windowedRecord } from './windowed-data.ts';

/** CPU time (user + system, every thread of the process) since `from`, ms: steadier than wall time on a shared machine. */
const cpuMsSince = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
type Result = { key: string; start: number; n: number };

async function readAll(b: LocalBroker, topic: string): Promise<Result[]> {
  const out: Result[] = [];
  const info = await b.describeTopic(topic);
  for (const p of info?.partitions ?? []) {
    for (let at = p.startOffset; at < p.endOffset; ) {
      const got = await b.read(topic, p.partition, at, 5000);
      if (got.length === 0) break;
      for (const r of got) out.push(r.value as Result);
      at = got.at(-1)!.offset + 1;
    }
  }
  return out;
}

/** The hand-written loop: read every record, count by author and window, keep the windows that closed. */
async function handLoop(b: LocalBroker, topic: string, partitions: number): Promise<Result[]> {
  const info = await b.describeTopic(topic);
  const out: Result[] = [];
  for (let p = 0; p < partitions; p++) {
    const end = info!.partitions[p]!.endOffset;
    const counts = new Map<string, Map<number, number>>();
    let maxTs = Number.NEGATIVE_INFINITY;
    for (let at = 0; at < end; ) {
      const got = await b.read(topic, p, at, 2000);
      if (got.length === 0) break;
      for (const r of got) {
        const ts = (r.value as { ts: number }).ts;
        if (ts > maxTs) maxTs = ts;
        const start = ts - (ts % WINDOW_MS);
        let byStart = counts.get(r.key!);
        if (!byStart) {
          byStart = new Map();
          counts.set(r.key!, byStart);
        }
        byStart.set(start, (byStart.get(start) ?? 0) + 1);
      }
      at = got.at(-1)!.offset + 1;
    }
    for (const [key, byStart] of counts)
      for (const [start, n] of byStart) if (start + WINDOW_MS <= maxTs) out.push({ key, start, n });
  }
  return out;
}

async function engineRun(b: LocalBroker, name: string, input: string, o: WindowedInput, dir: string) {
  const output = `${name}.out`;
  const app = windowedCountApp({ name, input, output, partitions: o.partitions });
  const spec = await app.build({ dataDir: join(dir, 'data'), sinks: [], env: {} });
  const t = performance.now();
  const cpu = process.cpuUsage();
  const run = runPipeline({
    broker: b,
    spec,
    log: silentLogger,
    roles: { sources: false, consumers: true },
    drain: true,
  });
  await run.done;
  const ms = performance.now() - t;
  return { ms, cpuMs: cpuMsSince(cpu), results: await readAll(b, output) };
}

export async function benchWindowed(
  o: WindowedInput & { rounds: number; only?: 'engine' | 'loop' },
  say: (line: string) => void = console.log,
): Promise<Array<[string, number, string]>> {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-bench-windowed-'));
  const b = new LocalBroker(`local:${join(dir, 'broker.db')}`);
  await b.connect();
  try {
    const input = 'bench.windowed.in';
    await b.createTopic(input, { partitions: o.partitions });
    let t = performance.now();
    for (let i = 0; i < o.n; i += 5000) {
      const batch = [];
      for (let j = i; j < Math.min(o.n, i + 5000); j++) batch.push(windowedRecord(j, o));
      await b.produce(input, batch);
    }
    say(
      `input: ${o.n} records written in ${Math.round(performance.now() - t)} ms (${o.authors} authors, ${o.partitions} partitions)`,
    );
    const want = expectedWindows(o);
    const engine: number[] = [];
    const loop: number[] = [];
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    let engineCpu = 0;
    let loopCpu = 0;
    let checks = true;
    for (let round = 0; round < o.rounds; round++) {
      const doEngine = async () => {
        const r = await engineRun(b, `bench-windowed-${round}`, input, o, dir);
        const c = compareWindows(r.results, want);
        checks &&= c.ok;
        engine.push(r.ms);
        engineCpu = r.cpuMs;
        say(
          `  round ${round} engine    ${Math.round(r.ms)} ms (cpu ${Math.round(r.cpuMs)} ms)  ${Math.round((o.n * 1000) / r.ms)}/s  ${c.line}`,
        );
      };
      const doLoop = async () => {
        t = performance.now();
        const cpu = process.cpuUsage();
        const results = await handLoop(b, input, o.partitions);
        const ms = performance.now() - t;
        loopCpu = cpuMsSince(cpu);
        const c = compareWindows(results, want);
        checks &&= c.ok;
        loop.push(ms);
        say(
          `  round ${round} hand loop ${Math.round(ms)} ms (cpu ${Math.round(loopCpu)} ms)  ${Math.round((o.n * 1000) / ms)}/s  ${c.line}`,
        );
      };
      if (o.only) {
        await (o.only === 'engine' ? doEngine() : doLoop());
        continue;
      }
      if (round % 2 === 0) {
        await doEngine();
        await doLoop();
      } else {
        await doLoop();
        await doEngine();
      }
      ratios.push(engine.at(-1)! / loop.at(-1)!);
      cpuRatios.push(engineCpu / loopCpu);
    }
    const rate = (ms: number) => Math.round((o.n * 1000) / ms);
    if (o.only) return [];
    return [
      [
        `windowed count, engine (local, ${o.partitions}p)`,
        rate(median(engine)),
        `median of ${o.rounds}; ${checks ? 'results equal the reference' : 'RESULTS DIFFER'}`,
      ],
      ['windowed count, hand-written loop', rate(median(loop)), 'broker read + Map by author and window'],
      [
        'engine time / loop time',
        Number(median(ratios).toFixed(2)),
        `× (goal ≤ 2, aim 1.3); load ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
      ],
      [
        'engine cpu time / loop cpu time',
        Number(median(cpuRatios).toFixed(2)),
        '× the same, by the process CPU time of each run (less sensitive to a loaded machine)',
      ],
    ];
  } finally {
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '1000000' },
      partitions: { type: 'string', default: '2' },
      authors: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '3' },
      /** Profiling one side: `node --cpu-prof bench/windowed.ts --only engine`. */
      only: { type: 'string' },
    },
  });
  if (values.only) {
    const only = values.only as 'engine' | 'loop';
    const rows = await benchWindowed({
      n: Number(values.records),
      partitions: Number(values.partitions),
      authors: Number(values.authors),
      rounds: Number(values.rounds),
      only,
    });
    void rows;
    process.exit(0);
  }
  console.log(
    `windowed aggregation, node ${process.version}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const rows = await benchWindowed({
    n: Number(values.records),
    partitions: Number(values.partitions),
    authors: Number(values.authors),
    rounds: Number(values.rounds),
  });
  for (const [name, v, note] of rows) console.log(`${name.padEnd(40)} ${String(v).padStart(9)}  ${note}`);
}
