/**
 * `node bench/stopcovid.ts [--sizes 10000,100000,1000000] [--skip-rss]`: the stopcovid app's contact
 * detection alone, on one core, against the seed's method in the same run.
 *
 * 1. Detection (src/apps/stopcovid/detect.ts `spread`: the cells' radix sort, the same-cell runs and the
 *    rule, one synchronous tick) in person-ticks/s, at each size on the seed's density; the moves are not
 *    timed. Goal: >= 25M person-ticks/s (1M people in <= 40 ms a tick).
 * 2. The seed's method on the same population and moves: people in SQLite (node:sqlite), an UPDATE per
 *    person per tick, then its GROUP BY / HAVING self-join, the intended rule applied with an UPDATE per
 *    person who becomes 1. Both end with the same statuses (checked). Timed in turn with the same-cell
 *    detection, 5 pairs, the ratio per pair and its median reported. Goal: >= 100x it. The same method in
 *    the seed's own language (bench/stopcovid-seed/seed_method.py, Python's sqlite3, where the issue
 *    measured it at 150–250k person-ticks/s) is timed in 3 of the turns when python3 is on the PATH.
 * 3. Peak RSS at 1M people (a child process: the population, the detection's scratch, 5 ticks), per person,
 *    in all and above the same process at 1,000 people. Goal: <= 200 bytes.
 * 4. With --pipeline N,…: the whole app, `runnel run stopcovid --ticks 10 --tick-rate 0` on a local broker
 *    (JSONL sinks, no interactions log), in person-ticks/s by the wall and by the process's CPU: at most
 *    that many people keep up with 1 tick/s (a throughput bound, not the 5-minute sustained run).
 * 5. With --sustain N,… [--minutes M]: the goal's own measure, `runnel run stopcovid --tick-rate 1` for M
 *    minutes (default 5) at each size, sampled every 5 s from the broker file: how many ticks the last stage
 *    (stopcovid.ticks) is behind the source (stopcovid.positions). Kept up: the lag of the last minute is no
 *    more than that of the first. Prints the samples and the lags' max over the first and last minute.
 *    `--run-flags="--sink-threads 1"` passes flags on to the run (a placement to compare).
 * Figures, not assertions.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { DetectScratch, spread } from '../src/apps/stopcovid/detect.ts';
import { defaultGrid, Population, type SimConfig } from '../src/apps/stopcovid/sim.ts';

type Row = [string, number, string];
const config = (people: number, radius = 0): SimConfig => ({ people, ...defaultGrid(people), seed: 1, radius });

/**
 * Person-ticks/s of `spread` over `ticks` ticks, by this process's CPU time and by the wall (the machine is
 * shared: the wall can overcount). The moves are made beforehand, so only the detection is timed.
 */
function detection(c: SimConfig, ticks: number): { cpu: number; wall: number; msPerTick: number } {
  const pop = new Population(c);
  const xs: Int32Array[] = [];
  const ys: Int32Array[] = [];
  for (let tick = 0; tick < ticks; tick++) {
    if (tick > 0) pop.move();
    xs.push(Int32Array.from(pop.xs));
    ys.push(Int32Array.from(pop.ys));
  }
  let status = Uint8Array.from(pop.status0);
  let next = new Uint8Array(c.people);
  const scratch = new DetectScratch();
  // Warm-up: the JIT, and the scratch grown to size.
  for (let k = 0; k < 3; k++) spread(xs[0]!, ys[0]!, status, next, c.width, c.height, c.radius, scratch);
  const t = performance.now();
  const u = process.cpuUsage();
  for (let tick = 0; tick < ticks; tick++) {
    spread(xs[tick]!, ys[tick]!, status, next, c.width, c.height, c.radius, scratch);
    [status, next] = [next, status];
  }
  const used = process.cpuUsage(u);
  const wallMs = performance.now() - t;
  return {
    cpu: Math.round((c.people * ticks * 1e6) / (used.user + used.system)),
    wall: Math.round((c.people * ticks * 1000) / wallMs),
    msPerTick: wallMs / ticks,
  };
}

/**
 * The population of `c` over `ticks` ticks, `each` called with it at every tick (after its move), beside
 * the reference the seed's method is checked against: `spread` on the same moves. Returns the final statuses.
 */
function withReference(c: SimConfig, ticks: number, each: (pop: Population, tick: number) => void): Uint8Array {
  const pop = new Population(c);
  let status = Uint8Array.from(pop.status0);
  let next = new Uint8Array(c.people);
  const scratch = new DetectScratch();
  for (let tick = 0; tick < ticks; tick++) {
    if (tick > 0) pop.move();
    each(pop, tick);
    spread(pop.xs, pop.ys, status, next, c.width, c.height, 0, scratch);
    [status, next] = [next, status];
  }
  return status;
}

/** The seed's way, timed per tick over `ticks` ticks (CPU time, as the detection); its statuses are checked against `spread`'s. */
function seedMethod(c: SimConfig, ticks: number): { rate: number; wall: number; same: boolean } {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-bench-stopcovid-'));
  const db = new DatabaseSync(join(dir, 'stop_covid.db'));
  try {
    db.exec(
      'CREATE TABLE people(people_id INTEGER PRIMARY KEY, phone_nb INTEGER, pos_x INTEGER, pos_y INTEGER, health_status INTEGER)',
    );
    const insert = db.prepare('INSERT INTO people VALUES (?, ?, ?, ?, ?)');
    db.exec('BEGIN'); // the seed never commits: everything happens in one open transaction
    const move = db.prepare('UPDATE people SET pos_x = ?, pos_y = ? WHERE people_id = ?');
    const meet = db.prepare(
      'SELECT A.people_id, A.pos_x, A.pos_y, A.health_status FROM people A INNER JOIN ' +
        '(SELECT pos_x, pos_y FROM people GROUP BY pos_x, pos_y HAVING COUNT(*) > 1) B ' +
        'ON A.pos_x = B.pos_x AND A.pos_y = B.pos_y',
    );
    const infect = db.prepare('UPDATE people SET health_status = 1 WHERE people_id = ?');
    let ms = 0;
    let cpuUs = 0;
    const status = withReference(c, ticks, (pop, tick) => {
      if (tick === 0)
        for (let i = 0; i < c.people; i++) insert.run(i + 1, pop.phones[i]!, pop.xs[i]!, pop.ys[i]!, pop.status0[i]!);
      const t = performance.now();
      const u = process.cpuUsage();
      if (tick > 0) for (let i = 0; i < c.people; i++) move.run(pop.xs[i]!, pop.ys[i]!, i + 1);
      const rows = meet.all() as Array<{ people_id: number; pos_x: number; pos_y: number; health_status: number }>;
      // The intended rule (the README's): in a cell with a 1 or a 2, every 0 becomes 1.
      const exposed = new Set<string>();
      for (const r of rows) if (r.health_status !== 0) exposed.add(`${r.pos_x},${r.pos_y}`);
      for (const r of rows) if (r.health_status === 0 && exposed.has(`${r.pos_x},${r.pos_y}`)) infect.run(r.people_id);
      const used = process.cpuUsage(u);
      cpuUs += used.user + used.system;
      ms += performance.now() - t;
    });
    const final = db.prepare('SELECT health_status FROM people ORDER BY people_id').all() as Array<{
      health_status: number;
    }>;
    db.exec('ROLLBACK');
    return {
      rate: Math.round((c.people * ticks * 1e6) / cpuUs),
      wall: Math.round((c.people * ticks * 1000) / ms),
      same: final.every((r, i) => r.health_status === status[i]),
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The seed's method in its own language: bench/stopcovid-seed/seed_method.py (Python's sqlite3, as
 * Stop_covid.py) on the same population and moves, written to a file for it; its final statuses are
 * checked against `spread`'s. Undefined when there is no python3 on the PATH.
 */
function seedMethodPython(c: SimConfig, ticks: number): { rate: number; same: boolean } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-bench-stopcovid-py-'));
  try {
    const n = c.people;
    const data = new Int32Array(2 + n + ticks * 2 * n);
    data[0] = n;
    data[1] = ticks;
    const status = withReference(c, ticks, (pop, tick) => {
      if (tick === 0) data.set(pop.status0, 2);
      data.set(pop.xs, 2 + n + tick * 2 * n);
      data.set(pop.ys, 2 + n + tick * 2 * n + n);
    });
    const moves = join(dir, 'moves.bin');
    const out = join(dir, 'statuses.bin');
    writeFileSync(moves, data);
    const script = new URL('./stopcovid-seed/seed_method.py', import.meta.url).pathname;
    const r = spawnSync('python3', [script, moves, out], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
      throw new Error(`seed_method.py: ${r.error?.message ?? r.stderr}`);
    }
    const bytes = readFileSync(out);
    // A small file's Buffer is a slice of a shared pool: read just its bytes.
    const got = new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    return { rate: Number(r.stdout.trim()), same: got.length === n && got.every((s, i) => s === status[i]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Peak RSS (KB) of a child, as it reports it: VmHWM, since the rusage maxRSS of a child spawned from a big
 * process starts at the parent's.
 */
function peakRssKb(args: string[]): number {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim().split('\n').at(-1));
}

export function benchStopcovid(
  o: { sizes?: number[]; rss?: boolean; pipeline?: number[] } = {},
  say: (s: string) => void = console.log,
): Row[] {
  const rows: Row[] = [];
  const sizes = o.sizes ?? [10_000, 100_000, 1_000_000];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  // Where the seed's method is timed: it and the detection in turn, PAIRS times, the ratio taken pair by
  // pair (as an A/B of whole runs does): two timings minutes apart on a shared machine gave 82–152×.
  const paired = new Map<number, { ratio: number; lo: number; hi: number; cpu: number; wall: number; ms: number }>();
  const PAIRS = 5;
  for (const n of sizes.filter((n) => n <= 100_000)) {
    const seedTicks = n <= 10_000 ? 20 : 3;
    const ticks = Math.max(5, Math.round(5e6 / n));
    const seeds: number[] = [];
    const ratios: number[] = [];
    const pySeeds: number[] = [];
    const pyRatios: number[] = [];
    const ds: Array<ReturnType<typeof detection>> = [];
    let same = true;
    for (let k = 0; k < PAIRS; k++) {
      const sm = seedMethod(config(n), seedTicks);
      same &&= sm.same;
      const d = detection(config(n, 0), ticks);
      seeds.push(sm.rate);
      ds.push(d);
      ratios.push(d.cpu / sm.rate);
      // The seed's own Python, in the same turn (3 of the pairs: it is the slowest part of the bench).
      const py = k < 3 ? seedMethodPython(config(n), seedTicks) : undefined;
      if (py) {
        same &&= py.same;
        pySeeds.push(py.rate);
        pyRatios.push(d.cpu / py.rate);
      }
    }
    const cpu = median(ds.map((d) => d.cpu));
    paired.set(n, {
      ratio: median(ratios),
      lo: Math.min(...ratios),
      hi: Math.max(...ratios),
      cpu,
      wall: median(ds.map((d) => d.wall)),
      ms: median(ds.map((d) => d.msPerTick)),
    });
    if (pySeeds.length > 0) {
      const pyRate = median(pySeeds);
      say(`  the seed's method in Python at ${n}: ${pyRate} person-ticks/s (median of ${pySeeds.length})`);
      rows.push([
        `stopcovid seed method (Python sqlite3) ${n}`,
        pyRate,
        `person-ticks/s (cpu, median of ${pySeeds.length} runs of ${seedTicks} ticks); detection ${Math.round(median(pyRatios))}× it ` +
          `(${Math.round(Math.min(...pyRatios))}–${Math.round(Math.max(...pyRatios))}×)`,
      ]);
    } else say(`  (no python3: the seed's method in Python not timed)`);
    const rate = median(seeds);
    say(`  seed's method at ${n}: ${rate} person-ticks/s (median of ${PAIRS}); same statuses as spread: ${same}`);
    rows.push([
      `stopcovid seed method (sqlite) ${n}`,
      rate,
      `person-ticks/s (cpu, median of ${PAIRS} runs of ${seedTicks} ticks; node:sqlite), same statuses: ${same}`,
    ]);
  }
  for (const n of sizes) {
    for (const radius of [0, 3]) {
      const p = radius === 0 ? paired.get(n) : undefined;
      if (p) {
        rows.push([
          `stopcovid detection same cell ${n}`,
          p.cpu,
          `person-ticks/s (cpu; wall ${p.wall}), ${p.ms.toFixed(1)} ms/tick, ${Math.round(p.ratio)}× the seed's ` +
            `method (median of ${PAIRS} pairs, ${Math.round(p.lo)}–${Math.round(p.hi)}×)`,
        ]);
        continue;
      }
      const ticks = Math.max(5, Math.round(5e6 / n));
      const d = detection(config(n, radius), ticks);
      const note = `person-ticks/s (cpu; wall ${d.wall}), ${d.msPerTick.toFixed(1)} ms/tick`;
      rows.push([`stopcovid detection ${radius ? `r=${radius}` : 'same cell'} ${n}`, d.cpu, note]);
    }
  }
  if (o.rss !== false) {
    const n = 1_000_000;
    const child = (people: number) => peakRssKb([new URL(import.meta.url).pathname, '--rss-child', String(people)]);
    // The same child with 1,000 people: Node, the TypeScript loader and this file's imports.
    const base = child(1000);
    const peak = child(n);
    const per = (peak * 1024) / n;
    const above = ((peak - base) * 1024) / (n - 1000);
    rows.push([
      `stopcovid peak RSS per person at ${n}`,
      Math.round(per),
      `bytes/person in all (${Math.round(peak / 1024)} MB), ${Math.round(above)} above the same process at 1,000 (${Math.round(base / 1024)} MB)`,
    ]);
  }
  for (const people of o.pipeline ?? []) {
    const r = pipelineRate(people, 10);
    rows.push([
      `stopcovid whole pipeline (local) ${people}`,
      r.wall,
      `person-ticks/s by the wall (${r.cpu} by CPU): \`runnel run stopcovid\`, 10 ticks, process start included`,
    ]);
  }
  return rows;
}

const CLI = new URL('../src/cli/main.ts', import.meta.url).pathname;

/** The whole pipeline through the CLI: person-ticks/s by the wall and by the CPU (user + sys) of the run. */
function pipelineRate(people: number, ticks: number): { wall: number; cpu: number } {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-bench-stopcovid-run-'));
  try {
    const args = ['run', 'stopcovid', '--people', String(people), '--ticks', String(ticks), '--tick-rate', '0'];
    args.push('--seed', '1', '--interactions', 'off', '--sinks', 'jsonl', '-q');
    args.push('--broker', `local:${join(dir, 'broker.db')}`, '--data-dir', join(dir, 'data'));
    const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', '-o', join(dir, 'time'), process.execPath, CLI, ...args], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    const [wall, user, sys] = readFileSync(join(dir, 'time'), 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
    const work = people * ticks;
    return { wall: Math.round(work / wall!), cpu: Math.round(work / (user! + sys!)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The newest event time (ms) a topic of the broker file holds, or -1: its newest batch's last record. */
function newestTime(db: DatabaseSync, topic: string): number {
  const row = db
    .prepare(
      `SELECT json_extract(b.payload, '$[#-1][2]') AS t FROM batches b JOIN topics t ON t.id = b.topic_id
       WHERE t.name = ? ORDER BY b.rowid DESC LIMIT 1`,
    )
    .get(topic) as { t: number } | undefined;
  return row?.t ?? -1;
}

/**
 * The app at 1 tick/s for `minutes`, with `people`: the lag in ticks of the last stage behind the source,
 * every 5 s. A pipeline that keeps up holds it steady; one that does not falls further behind each minute.
 */
export async function sustained(
  people: number,
  minutes: number,
  extra: string[] = [],
): Promise<{ lags: number[]; first: number; last: number; kept: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-bench-stopcovid-sustain-'));
  const broker = join(dir, 'broker.db');
  const args = ['run', 'stopcovid', '--people', String(people), '--tick-rate', '1', '--seed', '1'];
  args.push('--interactions', 'off', '--sinks', 'jsonl', '-q', '--broker', `local:${broker}`);
  args.push('--data-dir', join(dir, 'data'), ...extra);
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  const lags: number[] = [];
  try {
    const samples = Math.round((minutes * 60) / 5);
    let db: DatabaseSync | undefined;
    for (let i = 0; i < samples; i++) {
      await new Promise((r) => setTimeout(r, 5000));
      if (child.exitCode !== null) throw new Error(`runnel run stopcovid exited (${child.exitCode})`);
      try {
        db ??= new DatabaseSync(broker, { readOnly: true, timeout: 5000 });
        const source = newestTime(db, 'stopcovid.positions');
        const done = newestTime(db, 'stopcovid.ticks');
        lags.push(source < 0 ? Number.NaN : Math.round((source - Math.max(done, -1000)) / 1000));
      } catch {
        lags.push(Number.NaN); // the file or its topics not made yet
      }
    }
    db?.close();
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
  const perMinute = 12;
  const max = (xs: number[]) => Math.max(...xs.filter((x) => Number.isFinite(x)));
  const first = max(lags.slice(0, perMinute));
  const last = max(lags.slice(-perMinute));
  return { lags, first, last, kept: last <= Math.max(first, 2) };
}

/** The RSS child: a population of N, the detection's scratch, 5 ticks; prints its peak RSS (VmHWM) in KB. */
function rssChild(n: number): void {
  const c = config(n);
  const pop = new Population(c);
  let status = Uint8Array.from(pop.status0);
  let next = new Uint8Array(n);
  const scratch = new DetectScratch();
  for (let tick = 0; tick < 5; tick++) {
    pop.move();
    spread(pop.xs, pop.ys, status, next, c.width, c.height, 0, scratch);
    [status, next] = [next, status];
  }
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  console.log(hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      'skip-rss': { type: 'boolean' },
      'rss-child': { type: 'string' },
      pipeline: { type: 'string' },
      sustain: { type: 'string' },
      minutes: { type: 'string' },
      'run-flags': { type: 'string' },
    },
  });
  if (values['rss-child']) rssChild(Number(values['rss-child']));
  else if (values.sustain) {
    const minutes = Number(values.minutes ?? 5);
    for (const people of values.sustain.split(',').map(Number)) {
      const r = await sustained(people, minutes, values['run-flags']?.split(' ').filter(Boolean) ?? []);
      console.log(
        `stopcovid at 1 tick/s, ${people} people, ${minutes} min: lag (ticks) first minute <= ${r.first}, ` +
          `last minute <= ${r.last}: ${r.kept ? 'kept up' : 'fell behind'}\n  samples every 5 s: ${r.lags.join(' ')}`,
      );
    }
  } else {
    const sizes = values.sizes?.split(',').map(Number);
    const pipeline = values.pipeline?.split(',').map(Number);
    const o = { ...(sizes ? { sizes } : {}), ...(pipeline ? { pipeline } : {}), rss: !values['skip-rss'] };
    for (const [name, rate, note] of benchStopcovid(o))
      console.log(`${name.padEnd(44)} ${String(rate).padStart(11)}   ${note}`);
  }
}
