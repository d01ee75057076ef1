import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import {
  duckdbRows,
  exited,
  jsonlValues,
  runCli,
  sqliteRows,
  startCli,
  stopped,
  type Workspace,
  workspace,
} from '../helpers/cli.ts';

const SMOKER_CSV = new URL('../fixtures/seed-data/smoker_temps.csv', import.meta.url).pathname;
const WINDOWED = new URL('../fixtures/windowed-pipeline.ts', import.meta.url).pathname;
const FLAGGED = new URL('../fixtures/flagged-pipeline.ts', import.meta.url).pathname;

test("a pipeline file's own flag works on run, produce and consume, is in their --help, and is refused for another app", async () => {
  const ws = workspace();
  const r = await runCli(['run', FLAGGED, '--prefix', 'zz-', '--limit', '20', '--rate', '0', ...ws.flags]);
  assert.equal(r.code, 0, r.stderr);
  const authors = jsonlValues<{ author: string }>(join(ws.dir, 'data', 'ff.prefixed.jsonl')).map((m) => m.author);
  assert.equal(authors.length, 20);
  assert.ok(
    authors.every((a) => a.startsWith('zz-')),
    authors.join(', '),
  );
  for (const mode of ['run', 'produce', 'consume']) {
    const help = await runCli([mode, FLAGGED, '--help']);
    assert.match(help.stdout, /--prefix <text>\s+flagged-fixture: put before every author\s+\(FLAGGED_PREFIX\)/, mode);
  }
  const c = await runCli(['consume', FLAGGED, '--prefix', 'yy-', '--drain', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(c.code, 0, c.stderr);
  const foreign = await runCli(['run', 'buzz', '--prefix', 'zz-', '--limit', '1', ...ws.flags]);
  assert.notEqual(foreign.code, 0);
  assert.match(foreign.stderr, /RUNNEL_USAGE: unknown option '--prefix'/);
});

test('runnel run buzz --limit 10000 --rate 0 leaves exactly 10000 rows in sqlite, duckdb and jsonl', async () => {
  const ws = workspace();
  const r = await runCli(['run', 'buzz', '--limit', '10000', '--rate', '0', '--seed', '42', ...ws.flags]);
  assert.equal(r.code, 0, r.stderr);
  const data = join(ws.dir, 'data');
  const sqlite = sqliteRows<{ n: number; ids: number; offsets: number }>(
    join(data, 'buzz.sqlite'),
    'SELECT count(*) AS n, count(DISTINCT id) AS ids, count(DISTINCT _offset) AS offsets FROM streamed_messages',
  )[0]!;
  assert.deepEqual({ ...sqlite }, { n: 10000, ids: 10000, offsets: 10000 });
  const duck = await duckdbRows<{ n: bigint | number }>(
    join(data, 'buzz.duckdb'),
    'SELECT count(*) AS n FROM streamed_messages',
  );
  assert.equal(Number(duck[0]!.n), 10000);
  // The seeds' README query failed on their DuckDB table (no id); ours has one.
  const latest = await duckdbRows<{ id: number }>(
    join(data, 'buzz.duckdb'),
    'SELECT * FROM streamed_messages ORDER BY id DESC LIMIT 10',
  );
  assert.equal(latest.length, 10);
  const lines = jsonlValues<{ message: string; author: string; category: string }>(join(data, 'buzz.jsonl'));
  assert.equal(lines.length, 10000);
  assert.match(lines[0]!.message, /^I just \w+ .+! It was \w+\.$/);
  // The stats processor saw every message exactly once.
  const stats = jsonlValues<{ total: number; byAuthor: Record<string, number> }>(join(data, 'buzz.stats.jsonl'));
  const last = stats[stats.length - 1]!;
  assert.equal(last.total, 10000);
  const byAuthor = new Map<string, number>();
  for (const l of lines) byAuthor.set(l.author, (byAuthor.get(l.author) ?? 0) + 1);
  assert.deepEqual(last.byAuthor, Object.fromEntries(byAuthor));
});

test('a drained consume that handled nothing says why: nothing produced yet, or all handled before', async () => {
  const ws = workspace();
  const consume = () => runCli(['consume', 'buzz', '--sinks', 'jsonl', '--drain', ...ws.flags]);
  const before = await consume();
  assert.equal(before.code, 0, before.stderr);
  assert.match(before.stderr, /nothing to consume: buzz holds no records yet \(run `runnel produce buzz` first\)/);
  const p = await runCli(['produce', 'buzz', '--limit', '50', '--rate', '0', ...ws.flags]);
  assert.equal(p.code, 0, p.stderr);
  const first = await consume();
  assert.equal(first.code, 0, first.stderr);
  assert.doesNotMatch(first.stderr, /nothing (new )?to consume/);
  assert.equal(jsonlValues(join(ws.dir, 'data', 'buzz.jsonl')).length, 50);
  const again = await consume();
  assert.equal(again.code, 0, again.stderr);
  assert.match(
    again.stderr,
    /nothing new to consume: every record on the topics was handled by an earlier run of this group/,
  );
  // buzz's stats step keeps no windows: nothing is said of them.
  assert.doesNotMatch(again.stderr, /windows/);
  // A windowed pipeline's drain leaves its newest windows open, and says so when asked again.
  const wp = await runCli(['produce', WINDOWED, '--limit', '30', '--rate', '0', ...ws.flags]);
  assert.equal(wp.code, 0, wp.stderr);
  const drained = await runCli(['consume', WINDOWED, '--drain', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(drained.code, 0, drained.stderr);
  const idle = await runCli(['consume', WINDOWED, '--drain', '--sinks', 'jsonl', ...ws.flags]);
  assert.match(
    idle.stderr,
    /nothing new to consume: .*; windows that event time has not passed yet stay open .*\(--final closes them\)/,
  );
});

/** Produces the windowed fixture's messages, paced so their event times span several 10 s windows. */
async function produceWindowed(ws: Workspace): Promise<void> {
  const p = await runCli(['produce', WINDOWED, '--limit', '120', '--rate', '8', ...ws.flags]);
  assert.equal(p.code, 0, p.stderr);
}

/** `author@windowStart` → count, computed from the messages on the topic (zone-less timestamps are UTC). */
async function windowCounts(ws: Workspace): Promise<Array<[string, number]>> {
  const expected = new Map<string, number>();
  const broker = new LocalBroker(ws.broker);
  await broker.connect();
  for (const part of (await broker.describeTopic('wf.messages'))!.partitions) {
    for (const r of await broker.read('wf.messages', part.partition, 0, part.endOffset)) {
      const m = r.value as { author: string; timestamp: string };
      const start = Math.floor(Date.parse(`${m.timestamp.replace(' ', 'T')}Z`) / 10_000) * 10_000;
      const k = `${m.author}@${start}`;
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }
  }
  await broker.close();
  assert.ok(new Set([...expected.keys()].map((k) => k.split('@')[1])).size >= 2, 'several windows');
  return [...expected].sort();
}

/** The final results in the fixture's JSONL output, in the same form. */
function finalCounts(ws: Workspace): Array<[string, number]> {
  const out = join(ws.dir, 'data', 'wf.per-10s.jsonl');
  if (!existsSync(out)) return [];
  return jsonlValues<{ key: string; start: number; final: boolean; n: number }>(out)
    .filter((r) => r.final)
    .map((r): [string, number] => [`${r.key}@${r.start}`, r.n])
    .sort();
}

test('consume --final ends the input: every window closes once, its count equal to one computed from the topic', async () => {
  const ws = workspace();
  await produceWindowed(ws);
  const expected = await windowCounts(ws);
  const drained = await runCli(['consume', WINDOWED, '--drain', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(drained.code, 0, drained.stderr);
  assert.ok(finalCounts(ws).length < expected.length, 'a drain leaves the newest windows open');
  const ended = await runCli(['consume', WINDOWED, '--final', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(ended.code, 0, ended.stderr);
  assert.match(ended.stderr, /--final: the input ended: every window closed/);
  assert.deepEqual(finalCounts(ws), expected, 'every window once, with its count');
  // Nothing more to end: nothing new, no hint of open windows, from a --final or a --drain; no output.
  const lines = jsonlValues(join(ws.dir, 'data', 'wf.per-10s.jsonl')).length;
  const again = await runCli(['consume', WINDOWED, '--final', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /nothing new to consume/);
  assert.match(again.stderr, /--final: the input had ended already/);
  assert.doesNotMatch(again.stderr, /stay open/);
  const drainedAfter = await runCli(['consume', WINDOWED, '--drain', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(drainedAfter.code, 0, drainedAfter.stderr);
  assert.doesNotMatch(drainedAfter.stderr, /stay open/);
  assert.equal(jsonlValues(join(ws.dir, 'data', 'wf.per-10s.jsonl')).length, lines);
});

test('consume --final does not end an input that is empty or still being produced, and says so (exit 1)', {
  timeout: 180_000,
}, async () => {
  const ws = workspace();
  // Before anything was produced: ended now, everything produced later would be late.
  const early = await runCli(['consume', WINDOWED, '--final', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(early.code, 1, early.stderr);
  assert.match(
    early.stderr,
    /RUNNEL_INPUT_NOT_ENDED: --final: the input was not ended.*wf\.messages holds no records yet/,
  );
  assert.doesNotMatch(early.stderr, /nothing to consume/, 'said once, by the refusal');
  // While the producer runs (30 s at 8/s, room for a slow machine): what it writes next would come after the end.
  const producer = startCli(['produce', WINDOWED, '--limit', '240', '--rate', '8', ...ws.flags]);
  try {
    let said = '';
    producer.stderr!.on('data', (d: Buffer) => (said += d));
    // Its status (published about once a second) says it runs once it has produced.
    while (!/progress: produced [1-9]/.test(said) && producer.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500));
    const during = await runCli(['consume', WINDOWED, '--final', '--sinks', 'jsonl', ...ws.flags]);
    assert.equal(during.code, 1, during.stderr);
    assert.match(during.stderr, /RUNNEL_INPUT_NOT_ENDED: .*a producer of windowed-fixture is running \(pid \d+\)/);
    // A produce beside a consume is the usual split, not a scale-out of it.
    assert.doesNotMatch(during.stderr, /already running/);
    await exited(producer);
    assert.equal(producer.exitCode, 0);
  } finally {
    await stopped(producer);
  }
  const after = await runCli(['consume', WINDOWED, '--final', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(after.code, 0, after.stderr);
  assert.deepEqual(finalCounts(ws), await windowCounts(ws), 'no record late: every window once, with its count');
});

test('consume --final beside another worker leaves the windows open and says why; alone, it ends them', {
  timeout: 180_000,
}, async () => {
  const ws = workspace();
  await produceWindowed(ws);
  const expected = await windowCounts(ws);
  const other = startCli(['consume', WINDOWED, '--sinks', 'jsonl', ...ws.flags]);
  try {
    let said = '';
    other.stderr!.on('data', (d: Buffer) => (said += d));
    // Running, and dealt its partitions, before the second worker joins.
    while (!/consume windowed-fixture on/.test(said)) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 2000));
    const shared = await runCli(['consume', WINDOWED, '--final', '--sinks', 'jsonl', ...ws.flags]);
    assert.equal(shared.code, 1, shared.stderr);
    assert.match(
      shared.stderr,
      /RUNNEL_INPUT_NOT_ENDED: --final: the input was not ended, its windows stay open: another worker holds partitions? [0-9, ]+ of wf\./,
    );
    assert.doesNotMatch(shared.stderr, /the input ended/);
  } finally {
    assert.ok(await stopped(other), 'the other worker stops');
  }
  assert.ok(finalCounts(ws).length < expected.length, 'nothing ended the input');
  const alone = await runCli(['consume', WINDOWED, '--final', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(alone.code, 0, alone.stderr);
  assert.deepEqual(finalCounts(ws), expected);
});

test('producer and consumer in separate processes on one local broker file: all consumed, in order', async () => {
  const ws = workspace();
  const producer = runCli(['produce', 'buzz', '--limit', '3000', '--rate', '3000', '--seed', '7', ...ws.flags]);
  const consumer = runCli(['consume', 'buzz', '--sinks', 'jsonl,sqlite', ...ws.flags, '--drain']);
  const [p, c1] = await Promise.all([producer, consumer]);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(c1.code, 0, c1.stderr);
  // The first consumer may have drained before the producer finished; a second drain picks up the rest.
  const c2 = await runCli(['consume', 'buzz', '--sinks', 'jsonl,sqlite', ...ws.flags, '--drain']);
  assert.equal(c2.code, 0, c2.stderr);
  const rows = sqliteRows<{ _offset: number; message: string }>(
    join(ws.dir, 'data', 'buzz.sqlite'),
    'SELECT _offset, message FROM streamed_messages ORDER BY id',
  );
  assert.equal(rows.length, 3000);
  rows.forEach((row, i) => {
    assert.equal(row._offset, i, 'rows arrive in offset order');
  });
  const lines = jsonlValues<{ message: string }>(join(ws.dir, 'data', 'buzz.jsonl'));
  assert.deepEqual(
    lines.map((l) => l.message),
    rows.map((r) => r.message),
  );
  const groups = await runCli(['groups', ...ws.flags]);
  assert.match(groups.stdout, /runnel\.buzz\.sink\.sqlite-buzz\.[0-9a-f]{8}\s+buzz\s+0\s+3000\s+3000\s+0/);
});

/** The stall rule from the seed, computed here from the data: window of N, max − min ≤ threshold. */
function expectedStalls(temps: number[], times: string[], window: number, threshold: number) {
  const events: Array<[string, string]> = [];
  let stalled = false;
  for (let i = 0; i < temps.length; i++) {
    const w = temps.slice(Math.max(0, i - window + 1), i + 1);
    // Work in tenths of a degree: exact for one-decimal readings, so no float tolerance is needed here.
    const now =
      w.length === window &&
      Math.round(Math.max(...w) * 10) - Math.round(Math.min(...w) * 10) <= Math.round(threshold * 10);
    if (now !== stalled) events.push([now ? 'stall_started' : 'stall_ended', times[i]!]);
    stalled = now;
  }
  return events;
}

test('smoker on the seeds smoker_temps.csv reports stalls exactly where the rule says', async () => {
  const ws = workspace();
  // Every default sink: smoker's readings and alerts share one DuckDB file (once lost a table that way).
  const r = await runCli(['run', 'smoker', '--csv', SMOKER_CSV, '--rate', '0', ...ws.flags]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /retrying/);
  const { readFileSync } = await import('node:fs');
  const rows = readFileSync(SMOKER_CSV, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  const expected = expectedStalls(
    rows.map((x) => Number(x[1])),
    rows.map((x) => x[0]!),
    10,
    0.2,
  );
  assert.ok(expected.length > 0, 'the data has a stall');
  const alerts = jsonlValues<{ type: string; timestamp: string }>(join(ws.dir, 'data', 'smoker.alerts.jsonl'));
  assert.deepEqual(
    alerts.map((a) => [a.type, a.timestamp]),
    expected,
  );
  assert.match(r.stderr, /STALL DETECTED at 2025-01-01 18:08:00/);
  const readings = sqliteRows<{ n: number }>(
    join(ws.dir, 'data', 'smoker.sqlite'),
    'SELECT count(*) AS n FROM smoker_readings',
  );
  assert.equal(readings[0]!.n, 240);
  const duck = join(ws.dir, 'data', 'smoker.duckdb');
  const inDuck = await duckdbRows<{ n: bigint }>(duck, 'SELECT count(*) AS n FROM smoker_readings');
  assert.equal(Number(inDuck[0]!.n), 240);
  const duckAlerts = await duckdbRows<{ type: string; timestamp: string }>(
    duck,
    'SELECT type, timestamp FROM smoker_alerts ORDER BY id',
  );
  assert.deepEqual(
    duckAlerts.map((a) => [a.type, a.timestamp]),
    expected,
  );
});

test('smoker honours the seeds .env keys for window and threshold', async () => {
  const ws = workspace();
  const r = await runCli(['run', 'smoker', '--csv', SMOKER_CSV, '--rate', '0', '--sinks', 'jsonl', ...ws.flags], {
    env: { SMOKER_ROLLING_WINDOW_SIZE: '5', SMOKER_STALL_THRESHOLD_F: '0.2' },
  });
  assert.equal(r.code, 0, r.stderr);
  const alerts = jsonlValues<{ type: string; timestamp: string; window: number }>(
    join(ws.dir, 'data', 'smoker.alerts.jsonl'),
  );
  // The seed's own analysis: with window 5 the first stall fires at row index 183 (18:03).
  assert.deepEqual(
    [alerts[0]!.type, alerts[0]!.timestamp, alerts[0]!.window],
    ['stall_started', '2025-01-01 18:03:00', 5],
  );
});

test('Ctrl-C on a running pipeline: sources stop, every sink catches up, exit 0, no lag left', async () => {
  const ws = workspace();
  const child = startCli(['run', 'buzz', '--rate', '2000', ...ws.flags]);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const jsonl = join(ws.dir, 'data', 'buzz.jsonl');
  const deadline = Date.now() + 30_000;
  while (jsonlValues(jsonl).length < 100) {
    assert.ok(Date.now() < deadline, `no progress: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGINT');
  assert.equal(await exit, 0, stderr);
  const groups = await runCli(['groups', ...ws.flags]);
  assert.equal(groups.code, 0, groups.stderr);
  const lags = groups.stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/));
  assert.ok(lags.length >= 5, groups.stdout);
  assert.deepEqual(
    lags.filter((cols) => cols.at(-1) !== '0'),
    [],
    'every group caught up',
  );
  const produced = jsonlValues(jsonl).length;
  const rows = sqliteRows<{ n: number }>(
    join(ws.dir, 'data', 'buzz.sqlite'),
    'SELECT count(*) AS n FROM streamed_messages',
  );
  const duck = await duckdbRows<{ n: bigint }>(
    join(ws.dir, 'data', 'buzz.duckdb'),
    'SELECT count(*) AS n FROM streamed_messages',
  );
  assert.deepEqual([rows[0]!.n, Number(duck[0]!.n)], [produced, produced]);
  const topics = await runCli(['topics', ...ws.flags]);
  assert.match(topics.stdout, new RegExp(`^buzz\\s.*\\b${produced}\\b`, 'm'), topics.stdout);
});

test('processor state belongs to its topics: the smoker pointed at a new topic starts a fresh window', async () => {
  const ws = workspace();
  const alerts = async (topic: string) => {
    const r = await runCli(['run', 'smoker', '--csv', SMOKER_CSV, '--rate', '0', '--sinks', 'jsonl', ...ws.flags], {
      env: { SMOKER_TOPIC: topic },
    });
    assert.equal(r.code, 0, r.stderr);
    return jsonlValues<{ type: string; timestamp: string }>(join(ws.dir, 'data', `${topic}.alerts.jsonl`)).map((a) => [
      a.type,
      a.timestamp,
    ]);
  };
  // The seeds' file ends inside a stall; a window carried over would 'end' it at the new topic's first reading.
  const first = await alerts('smoker_a');
  assert.deepEqual(first, [['stall_started', '2025-01-01 18:08:00']]);
  assert.deepEqual(await alerts('smoker_b'), first);
});

test('a CSV replay cut by --limit goes on where it stopped: runs in pieces equal one whole run, a rerun adds nothing', async () => {
  const rows = readFileSync(SMOKER_CSV, 'utf8').trim().split('\n').length - 1;
  const tables = (ws: ReturnType<typeof workspace>) => {
    const db = join(ws.dir, 'data', 'smoker.sqlite');
    return {
      readings: sqliteRows(db, 'SELECT timestamp, temperature FROM smoker_readings ORDER BY id'),
      alerts: sqliteRows(db, 'SELECT type, timestamp, reason FROM smoker_alerts ORDER BY id'),
    };
  };
  const args = ['run', 'smoker', '--csv', SMOKER_CSV, '--rate', '0', '--sinks', 'sqlite'];
  const whole = workspace();
  assert.equal((await runCli([...args, ...whole.flags])).code, 0);
  const reference = tables(whole);
  assert.equal(reference.readings.length, rows);
  const pieces = workspace();
  const limit = 70;
  const outputs: string[] = [];
  for (let done = 0; done < rows; done += limit) {
    const r = await runCli([...args, '--limit', String(limit), ...pieces.flags]);
    assert.equal(r.code, 0, r.stderr);
    outputs.push(r.stdout + r.stderr);
  }
  // Windows stayed open between the pieces: the stall that starts in one piece is the same episode in the next.
  assert.deepEqual(tables(pieces), reference);
  assert.match(
    outputs[1]!,
    /an earlier run replayed the first 70 record\(s\) of .*smoker_temps\.csv onto smoker; going on after them/,
  );
  const again = await runCli([...args, ...pieces.flags]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout + again.stderr, /nothing in .*smoker_temps\.csv after what was replayed before/);
  assert.deepEqual(tables(pieces), reference);
});

test("--from a JSON file: the seeds' buzz.json replayed through buzz into every sink", async () => {
  const ws = workspace();
  const BUZZ_JSON = new URL('../fixtures/seed-data/buzz.json', import.meta.url).pathname;
  const { readFileSync } = await import('node:fs');
  const messages = JSON.parse(readFileSync(BUZZ_JSON, 'utf8')) as Array<{ message: string; author: string }>;
  const r = await runCli(['run', 'buzz', '--from', BUZZ_JSON, ...ws.flags]);
  assert.equal(r.code, 0, r.stderr);
  const data = join(ws.dir, 'data');
  assert.deepEqual(
    jsonlValues<{ message: string }>(join(data, 'buzz.jsonl')).map((m) => m.message),
    messages.map((m) => m.message),
  );
  const rows = sqliteRows<{ n: number }>(join(data, 'buzz.sqlite'), 'SELECT count(*) AS n FROM streamed_messages');
  const duck = await duckdbRows<{ n: bigint }>(
    join(data, 'buzz.duckdb'),
    'SELECT count(*) AS n FROM streamed_messages',
  );
  assert.deepEqual([rows[0]!.n, Number(duck[0]!.n)], [messages.length, messages.length]);
  const byAuthor: Record<string, number> = {};
  for (const m of messages) byAuthor[m.author] = (byAuthor[m.author] ?? 0) + 1;
  const stats = jsonlValues<{ total: number; byAuthor: Record<string, number> }>(join(data, 'buzz.stats.jsonl'));
  assert.deepEqual(stats.at(-1)?.byAuthor, byAuthor);
  const bad = await runCli(['run', 'buzz', '--from', 'notes.txt', ...ws.flags]);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr.trim(),
    /^runnel: RUNNEL_CONFIG_INVALID: --from must be kafka:\/\/host:port\/topic or a \.json\/\.jsonl file \(got ".*notes\.txt"\)$/,
  );
});

test('the smoker replayed again from the start (--from-start): the replay closes the open stall, with its reason in every sink', async () => {
  const ws = workspace();
  for (const extra of [[], ['--from-start']]) {
    const r = await runCli(['run', 'smoker', '--csv', SMOKER_CSV, '--rate', '0', ...extra, ...ws.flags]);
    assert.equal(r.code, 0, r.stderr);
  }
  const expected = [
    ['stall_started', '2025-01-01 18:08:00', null],
    ['stall_ended', '2025-01-01 18:59:00', 'replay restarted'],
    ['stall_started', '2025-01-01 18:08:00', null],
  ];
  const sql = 'SELECT type, timestamp, reason FROM smoker_alerts ORDER BY id';
  const fromSqlite = sqliteRows<{ type: string; timestamp: string; reason: string | null }>(
    join(ws.dir, 'data', 'smoker.sqlite'),
    sql,
  );
  assert.deepEqual(
    fromSqlite.map((a) => [a.type, a.timestamp, a.reason]),
    expected,
  );
  const fromDuck = await duckdbRows<{ type: string; timestamp: string; reason: string | null }>(
    join(ws.dir, 'data', 'smoker.duckdb'),
    sql,
  );
  assert.deepEqual(
    fromDuck.map((a) => [a.type, a.timestamp, a.reason]),
    expected,
  );
});
