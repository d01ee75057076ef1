/**
 * Permanent errors fail fast, in one line, before anything is written; transient ones are retried
 * (issue 9). Through the real CLI: each case was retried forever, or hung at full CPU on /proc, before.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { duckdbRows, jsonlValues, runCli, sqliteRows, startCli, workspace } from '../helpers/cli.ts';

/** The workspace's flags with one of them replaced. */
function withFlag(flags: string[], name: string, value: string): string[] {
  const out = [...flags];
  out[out.indexOf(name) + 1] = value;
  return out;
}

/**
 * The README's deadline for these is "within a second" of runnel's own work; the bound here adds Node's
 * start-up (about 0.7 s on this machine) and a loaded 2-core box.
 */
const FAST_MS = 3000;

async function failsFast(args: string[], brokerFile: string, code: string, path: RegExp): Promise<void> {
  const started = Date.now();
  const r = await runCli(args, { timeoutMs: 20_000 });
  const took = Date.now() - started;
  assert.equal(r.signal, null, `killed after ${took} ms: ${r.stderr.slice(-500)}`);
  assert.equal(r.code, 1, r.stderr);
  assert.ok(took < FAST_MS, `exited after ${took} ms`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, new RegExp(`^runnel: ${code}: cannot write `));
  assert.match(lines[0]!, path);
  assert.match(lines[0]!, /; give --data-dir a folder you can write$/);
  // Refused before the broker was opened: not a topic, not a status record, not one source record.
  assert.ok(!existsSync(brokerFile), 'nothing written to the broker');
}

test('an output place that can never be written fails at once, in one line naming it, before anything is written', async () => {
  const ws = workspace();
  const brokerFile = join(ws.dir, 'broker.db');
  const aFile = join(ws.dir, 'a-file');
  writeFileSync(aFile, 'not a folder\n');
  const run = (flags: string[]) => ['run', 'buzz', '--limit', '5', '--rate', '0', ...flags];

  await failsFast(
    run(withFlag(ws.flags, '--data-dir', join(aFile, 'data'))),
    brokerFile,
    'RUNNEL_OUTPUT_UNWRITABLE',
    /a-file is a file, not a folder/,
  );
  const dangling = join(ws.dir, 'dangling');
  symlinkSync(join(ws.dir, 'nowhere'), dangling);
  await failsFast(
    run(withFlag(ws.flags, '--data-dir', dangling)),
    brokerFile,
    'RUNNEL_OUTPUT_UNWRITABLE',
    /dangling is a symbolic link to \S+nowhere, which does not exist/,
  );
  // Node's recursive mkdir loops forever here: 75-90% CPU, deaf to Ctrl-C.
  await failsFast(
    run(withFlag(ws.flags, '--data-dir', '/proc/x')),
    brokerFile,
    'RUNNEL_OUTPUT_UNWRITABLE',
    /\/proc\/x\/\S+ is under \/proc or \/sys/,
  );
  // Processor state lives in the broker: --state-dir is accepted for old command lines, and nothing is
  // written there, so a state folder that could never be written is no reason to refuse.
  const unused = await runCli(run(withFlag(ws.flags, '--state-dir', join(aFile, 'state'))));
  assert.equal(unused.code, 0, unused.stderr);
  assert.equal(jsonlValues(join(ws.dir, 'data', 'buzz.jsonl')).length, 5);
  rmSync(join(ws.dir, 'data'), { recursive: true });
  for (const f of [brokerFile, `${brokerFile}-wal`, `${brokerFile}-shm`]) rmSync(f, { force: true });
  // A folder where a sink's file should be.
  mkdirSync(join(ws.dir, 'data', 'buzz.jsonl'), { recursive: true });
  await failsFast(run(ws.flags), brokerFile, 'RUNNEL_OUTPUT_UNWRITABLE', /buzz\.jsonl is a folder, not a file/);
  rmSync(join(ws.dir, 'data'), { recursive: true });

  // The demo checks every app's places before any app starts (it wrote a record before failing).
  await failsFast(
    ['demo', '--no-dashboard', '--limit', '5', ...withFlag(ws.flags, '--data-dir', join(aFile, 'data'))],
    brokerFile,
    'RUNNEL_OUTPUT_UNWRITABLE',
    /a-file is a file, not a folder/,
  );
  // The broker's own folder, too: its code, and the flag that moves it.
  const broker = await runCli(['run', 'buzz', '--limit', '5', '--rate', '0', '--broker', `local:${aFile}/b.db`]);
  assert.equal(broker.code, 1);
  assert.match(
    broker.stderr.trim(),
    /^runnel: RUNNEL_OUTPUT_UNWRITABLE: cannot write the local broker file \S+a-file\/b\.db: \S+a-file is a file, not a folder; give --broker local:<a file in a folder you can write>$/,
  );
});

test('a folder replaced by a file mid-run stops the run with that one line, not retried forever', async () => {
  const ws = workspace();
  const data = join(ws.dir, 'data');
  const child = startCli(['run', 'buzz', '--rate', '50', '--sinks', 'jsonl', ...ws.flags]);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    while (jsonlValues(join(data, 'buzz.jsonl')).length < 20) await new Promise((r) => setTimeout(r, 100));
    // Moved away at once (an rm -r races the sink's own writes into the folder), then a file in its place.
    renameSync(data, `${data}.gone`);
    writeFileSync(data, 'now a file\n');
    const replaced = Date.now();
    assert.equal(await exited, 1, stderr);
    // The other consumers get the 3 s stop grace to catch up; no retry loop beyond it.
    assert.ok(Date.now() - replaced < 8000, `exited ${Date.now() - replaced} ms after`);
    // Whichever of the two jsonl sinks writes first after the swap reports it.
    assert.match(
      stderr.trim().split('\n').at(-1)!,
      /^runnel: RUNNEL_OUTPUT_UNWRITABLE: cannot write \S+buzz(\.stats)?\.jsonl: \S+data is a file, not a folder; /,
    );
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
  }
});

/** Another process holding the DuckDB file (its lock is per process) for `ms`, as a running pipeline does. */
async function holdDuckdb(path: string, ms: number): Promise<{ released: Promise<void> }> {
  // The child says it holds the lock by writing a marker file.
  const marker = `${path}.held`;
  const script = `
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const { writeFileSync } = await import('node:fs');
    const db = await DuckDBInstance.create(${JSON.stringify(path)});
    writeFileSync(${JSON.stringify(marker)}, '');
    setTimeout(() => db.closeSync(), ${ms});`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: new URL('../..', import.meta.url).pathname,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  while (!existsSync(marker)) {
    if (gone) throw new Error('the lock holder exited before taking the lock');
    await new Promise((r) => setTimeout(r, 20));
  }
  // Wrapped: an async function returning the promise itself would wait for it.
  return { released: exited };
}

test('a locked output is transient: reported as retrying while the other sinks go on, and the run completes', async () => {
  const ws = workspace();
  const duckdb = join(ws.dir, 'data', 'buzz.duckdb');
  mkdirSync(join(ws.dir, 'data'), { recursive: true });
  const { released } = await holdDuckdb(duckdb, 4000);
  const r = await runCli(['run', 'buzz', '--limit', '200', '--rate', '0', '--sinks', 'sqlite,duckdb', ...ws.flags], {
    timeoutMs: 60_000,
  });
  await released;
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /duckdb-buzz: open \S+buzz\.duckdb .*RUNNEL_OUTPUT_IN_USE: \S+buzz\.duckdb is in use by pid \d+ \(retrying\)/,
  );
  assert.match(r.stderr, /duckdb-buzz: open .*: recovered after \d+ retr/);
  const sqlite = sqliteRows<{ n: number }>(
    join(ws.dir, 'data', 'buzz.sqlite'),
    'SELECT count(*) AS n FROM streamed_messages',
  );
  assert.equal(sqlite[0]!.n, 200);
  const duck = await duckdbRows<{ n: bigint }>(duckdb, 'SELECT count(*) AS n FROM streamed_messages');
  assert.equal(Number(duck[0]!.n), 200);
});

test('Ctrl-C while a sink waits for an output another process holds: a stop, exit 0, not a failure', async (t) => {
  const ws = workspace();
  const duckdb = join(ws.dir, 'data', 'buzz.duckdb');
  mkdirSync(join(ws.dir, 'data'), { recursive: true });
  const { released } = await holdDuckdb(duckdb, 8000);
  const child = startCli(['run', 'buzz', '--rate', '50', '--sinks', 'jsonl,duckdb', ...ws.flags]);
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (!/RUNNEL_OUTPUT_IN_USE.*\(retrying\)/.test(stderr) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(stderr, /RUNNEL_OUTPUT_IN_USE.*\(retrying\)/, 'the sink waits for the file');
  child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr.split('SIGINT')[1] ?? '', /^runnel: RUNNEL_/m, 'no error line after the stop');
  await released;
});
