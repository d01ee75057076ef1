/**
 * `--sink-threads`: the sinks run in worker threads, each with its own connection to the broker file. What
 * they write must be what the same run writes with every sink in the main thread, and a crash, a stop and
 * a refusal must behave as they do there: every record once, a Ctrl-C that drains, one line of error.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { duckdbRows, exited, jsonlValues, runCli, sqliteRows, startCli, workspace } from '../helpers/cli.ts';

const SINKS = ['--sinks', 'jsonl,sqlite,duckdb'];

interface Row {
  _offset: number;
  message: string;
  author: string;
}

/** Every sink's rows of the buzz topic, by offset. */
async function outputs(dir: string) {
  const data = join(dir, 'data');
  const sqlite = sqliteRows<Row>(join(data, 'buzz.sqlite'), 'SELECT _offset, message, author FROM streamed_messages');
  const duck = (
    await duckdbRows<Row>(join(data, 'buzz.duckdb'), 'SELECT _offset, message, author FROM streamed_messages')
  ).map((r) => ({ ...r, _offset: Number(r._offset) }));
  // Not the generator's timestamp: the wall clock when it made the record.
  const jsonl = jsonlValues<{ message: string; author: string }>(join(data, 'buzz.jsonl')).map(
    ({ message, author }) => ({
      message,
      author,
    }),
  );
  const byOffset = (rows: Row[]) => [...rows].sort((a, b) => a._offset - b._offset);
  return { sqlite: byOffset(sqlite), duckdb: byOffset(duck), jsonl };
}

/** Waits (15 s at most) until the sqlite sink holds more than `n` rows. */
async function sqliteHolds(dir: string, n: number): Promise<void> {
  const file = join(dir, 'data', 'buzz.sqlite');
  for (let i = 0; i < 300; i++) {
    await sleep(50);
    try {
      if ((sqliteRows<{ n: number }>(file, 'SELECT count(*) AS n FROM streamed_messages')[0]?.n ?? 0) > n) return;
    } catch {
      // not created yet
    }
  }
}

test('--sink-threads 2 writes exactly what the same run writes with every sink in the main thread', {
  timeout: 120_000,
}, async () => {
  const N = 4000;
  const one = workspace('runnel-threads-one-');
  const two = workspace('runnel-threads-two-');
  const args = ['run', 'buzz', '--limit', String(N), '--rate', '0', '--seed', '7', ...SINKS];
  const a = await runCli([...args, ...one.flags]);
  const b = await runCli([...args, '--sink-threads', '2', ...two.flags]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const x = await outputs(one.dir);
  const y = await outputs(two.dir);
  assert.equal(y.sqlite.length, N);
  assert.deepEqual(y.sqlite, x.sqlite);
  assert.deepEqual(y.duckdb, x.duckdb);
  assert.deepEqual(y.jsonl, x.jsonl);
  // The summary counts what the threads wrote.
  assert.match(b.stderr, new RegExp(`sink sqlite-buzz: ${N} records`));
  assert.match(b.stderr, new RegExp(`sink duckdb-buzz: ${N} records`));
});

test('--sink-threads: killed with kill -9 mid-run and drained, every produced record is in every sink once', {
  timeout: 120_000,
}, async () => {
  const ws = workspace('runnel-threads-kill-');
  const child = startCli([
    'run',
    'buzz',
    '--limit',
    '200000',
    '--rate',
    '20000',
    ...SINKS,
    '--sink-threads',
    '2',
    ...ws.flags,
  ]);
  // Until the threads have written some of it: the kill must land mid-run.
  await sqliteHolds(ws.dir, 2000);
  child.kill('SIGKILL');
  await exited(child);
  const drained = await runCli(['consume', 'buzz', '--drain', ...SINKS, '--sink-threads', '2', ...ws.flags]);
  assert.equal(drained.code, 0, drained.stderr);
  const { sqlite, duckdb, jsonl } = await outputs(ws.dir);
  const produced = sqlite.length;
  assert.ok(produced > 2000 && produced < 200_000, `killed mid-run (${produced} rows)`);
  for (const [name, rows] of [
    ['sqlite', sqlite],
    ['duckdb', duckdb],
  ] as const) {
    // Offsets 0..produced-1, each once: none lost, none twice.
    assert.deepEqual(
      rows.map((r) => r._offset),
      Array.from({ length: produced }, (_, i) => i),
      name,
    );
  }
  assert.equal(jsonl.length, produced, 'jsonl');
  // And that is everything the topic holds.
  const tail = await runCli(['tail', 'buzz', '--from-beginning', '--no-follow', ...ws.flags]);
  assert.equal(tail.code, 0, tail.stderr);
  assert.equal(tail.stdout.trim().split('\n').length, produced);
});

test('--sink-threads: output from another broker is refused with the same one line', { timeout: 120_000 }, async () => {
  const ws = workspace('runnel-threads-other-');
  const first = await runCli(['run', 'buzz', '--limit', '50', '--rate', '0', ...SINKS, ...ws.flags]);
  assert.equal(first.code, 0, first.stderr);
  const flags = ws.flags.map((f) => (f === ws.broker ? `${ws.broker}.new` : f));
  const second = await runCli([
    'run',
    'buzz',
    '--limit',
    '5',
    '--rate',
    '0',
    ...SINKS,
    '--sink-threads',
    '2',
    ...flags,
  ]);
  assert.equal(second.code, 1, second.stderr);
  const lines = second.stderr.trim().split('\n');
  assert.match(lines.at(-1)!, /^runnel: RUNNEL_OUTPUT_FROM_OTHER_BROKER: /);
  assert.equal(lines.filter((l) => l.startsWith('runnel:')).length, 1, second.stderr);
});

test('--sink-threads: Ctrl-C stops the source, the threads catch up with what it produced, exit 0', {
  timeout: 120_000,
}, async () => {
  const ws = workspace('runnel-threads-int-');
  const child = startCli(['run', 'buzz', '--rate', '2000', ...SINKS, '--sink-threads', '2', ...ws.flags]);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await sqliteHolds(ws.dir, 1000);
  child.kill('SIGINT');
  await exited(child);
  assert.equal(child.exitCode, 0, stderr);
  const tail = await runCli(['tail', 'buzz', '--from-beginning', '--no-follow', ...ws.flags]);
  const produced = tail.stdout.trim().split('\n').length;
  const { sqlite, duckdb, jsonl } = await outputs(ws.dir);
  assert.equal(sqlite.length, produced, 'sqlite');
  assert.equal(duckdb.length, produced, 'duckdb');
  assert.equal(jsonl.length, produced, 'jsonl');
});

test('--sink-threads on an in-memory broker is refused in one line (a thread would get an empty broker of its own)', async () => {
  const ws = workspace('runnel-threads-mem-');
  const r = await runCli([
    'run',
    'buzz',
    '--broker',
    'local::memory:',
    '--limit',
    '5',
    '--rate',
    '0',
    '--data-dir',
    join(ws.dir, 'data'),
    '--sink-threads',
    '1',
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr.trim().split('\n').at(-1)!,
    /^runnel: RUNNEL_USAGE: --sink-threads: local::memory: lives in this thread only/,
  );
});
