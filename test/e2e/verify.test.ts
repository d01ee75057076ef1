/**
 * `runnel verify`, the seeds' verify_emitters: the broker round-trips a record, every sink opens, and the
 * sinks that keep their positions with their output say how much of their topic they hold.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { jsonlValues, runCli, sqliteRows, startCli, workspace } from '../helpers/cli.ts';

const line = (out: string, what: string) => out.split('\n').find((l) => l.includes(` ${what}: `)) ?? '';

test('runnel verify says whether each sink is up to date, behind (and how to catch up), or from another broker', async () => {
  const ws = workspace();
  const run = await runCli(['run', 'buzz', '--limit', '50', '--rate', '0', '--sinks', 'jsonl,sqlite', ...ws.flags]);
  assert.equal(run.code, 0, run.stderr);

  let v = await runCli(['verify', '--sinks', 'jsonl,sqlite', ...ws.flags]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(line(v.stdout, 'buzz sqlite-buzz'), /^ok {4}.*buzz\.sqlite.*: up to date with buzz \(50 records\)$/);
  assert.match(line(v.stdout, 'buzz jsonl-buzz'), /^ok {4}.*buzz\.jsonl: up to date with buzz \(50 records\)$/);
  // The processor commits its input positions with its state, in its consumer group: the same question.
  assert.match(
    line(v.stdout, 'buzz buzz.buzz-stats'),
    /^ok {4}buzz buzz\.buzz-stats: group runnel\.buzz\.task\.buzz\.buzz-stats: up to date with buzz \(50 records\)$/,
  );
  assert.match(v.stdout, /all checks passed\n$/);

  // Records produced but not yet consumed: the sinks are behind, and the line says how to catch up.
  const produced = await runCli(['produce', 'buzz', '--limit', '20', '--rate', '0', ...ws.flags]);
  assert.equal(produced.code, 0, produced.stderr);
  v = await runCli(['verify', '--sinks', 'sqlite', ...ws.flags]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(
    line(v.stdout, 'buzz sqlite-buzz'),
    /^lag {3}.*: 20 of 70 records of buzz not written yet; catch up with: runnel consume buzz --drain --broker local:\S+ --data-dir \S+$/,
  );
  assert.match(
    line(v.stdout, 'buzz buzz.buzz-stats'),
    /^lag {3}buzz buzz\.buzz-stats: group \S+: 20 of 70 records of buzz not processed yet; catch up with: runnel consume buzz --drain/,
  );
  assert.match(v.stdout, /all checks passed; 2 output\(s\) not caught up yet\n$/);

  // The same output against a fresh broker: it cannot have come from there.
  const other = ws.flags.map((f) => (f === ws.broker ? `local:${ws.dir}/other.db` : f));
  v = await runCli(['verify', '--sinks', 'sqlite', ...other]);
  assert.equal(v.code, 1, v.stdout);
  assert.match(
    line(v.stdout, 'buzz sqlite-buzz'),
    /^FAIL {2}buzz sqlite-buzz: RUNNEL_OUTPUT_FROM_OTHER_BROKER: \S+buzz\.sqlite \(table streamed_messages\) holds records of buzz, which local:.*other\.db does not have: .*; start fresh with another --data-dir/,
  );
  // The processor's positions live in that broker, so a fresh one has none: it has not started there.
  assert.match(
    line(v.stdout, 'buzz buzz.buzz-stats'),
    /^ok {4}buzz buzz\.buzz-stats: group runnel\.buzz\.task\.buzz\.buzz-stats: not started on local:\S*other\.db \(no committed positions\); topic buzz not on the broker yet$/,
  );
  assert.match(v.stdout, /\d+ check\(s\) failed\n$/);
});

test('runnel verify before any sink wrote creates no sink file, and says what is still to write', async () => {
  const ws = workspace();
  const data = join(ws.dir, 'data');
  // Nothing at all: no output, and no sample input either (making smoker's and oura's sources wrote theirs).
  const files = () => (existsSync(data) ? readdirSync(data) : []);
  const outputs = () => files().filter((f) => /\.(jsonl|sqlite|duckdb)$/.test(f) && !f.includes('_sample.'));
  let v = await runCli(['verify', '--sinks', 'jsonl,sqlite,duckdb', ...ws.flags]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  for (const kind of ['jsonl', 'sqlite', 'duckdb'])
    assert.match(line(v.stdout, `buzz ${kind}-buzz`), /^ok {4}.*: topic buzz not on the broker yet$/, v.stdout);
  assert.deepEqual(files(), []);
  // All passed, where nothing ever ran: said so, with what to do.
  assert.match(
    v.stdout,
    /all checks passed; nothing has run on local:\S+ yet \(none of the apps' topics is there\): run an app first, or give the --broker it ran on\n$/,
  );
  // Produced, not consumed: every record is still to write, and the line says how.
  const produced = await runCli(['produce', 'buzz', '--limit', '20', '--rate', '0', ...ws.flags]);
  assert.equal(produced.code, 0, produced.stderr);
  v = await runCli(['verify', '--sinks', 'jsonl,sqlite,duckdb', ...ws.flags]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.doesNotMatch(v.stdout, /nothing has run/);
  for (const kind of ['jsonl', 'sqlite', 'duckdb'])
    assert.match(
      line(v.stdout, `buzz ${kind}-buzz`),
      /^lag {3}.*: 20 of 20 records of buzz not written yet; catch up with: runnel consume buzz --drain/,
      v.stdout,
    );
  // The processor has not started either, with the same records waiting for it.
  assert.match(
    line(v.stdout, 'buzz buzz.buzz-stats'),
    /^lag {3}.*not started on \S+ \(no committed positions\); 20 of 20 records of buzz not processed yet; catch up with: runnel consume buzz --drain/,
  );
  assert.deepEqual(outputs(), []);
});

test('a sink no run included (left out by --sinks or an app flag) is said to be never written, not lag to catch up', async () => {
  const ws = workspace();
  // The demo leaves stopcovid's people file out; verify told to catch it up, which wrote 483 MB in 20 s.
  const r = await runCli(['run', 'buzz', '--limit', '30', '--rate', '0', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(r.code, 0, r.stderr);
  const v = await runCli(['verify', 'buzz', '--sinks', 'jsonl,sqlite', ...ws.flags]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(line(v.stdout, 'buzz jsonl-buzz'), /^ok {4}.*: up to date with buzz \(30 records\)$/);
  assert.match(
    line(v.stdout, 'buzz sqlite-buzz'),
    /^ok {4}.*: never written: no run so far included this sink \(--sinks, or a flag of the app, left it out\); a `runnel consume buzz` that includes it would write 30 records of buzz$/,
    v.stdout,
  );
  assert.equal(existsSync(join(ws.dir, 'data', 'buzz.sqlite')), false);
});

test('runnel verify <app> checks that app alone; a pipeline file too, its catch-up naming the file', async () => {
  const ws = workspace();
  let v = await runCli(['verify', 'buzz', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  const checked = v.stdout.split('\n').filter((l) => /^(ok|lag|FAIL) /.test(l));
  assert.ok(checked.length >= 2, v.stdout);
  assert.deepEqual(
    checked.filter((l) => !/^(ok|lag) {2,4}(broker|buzz )/.test(l)),
    [],
    'nothing but the broker and buzz is checked',
  );
  const example = new URL('../../examples/word-lengths.ts', import.meta.url).pathname;
  const produced = await runCli(['produce', example, '--limit', '30', '--rate', '0', ...ws.flags]);
  assert.equal(produced.code, 0, produced.stderr);
  v = await runCli(['verify', example, '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(
    v.stdout,
    new RegExp(`^lag .*catch up with: runnel consume ${example.replace(/[.]/g, '\\.')} --drain`, 'm'),
  );
  v = await runCli(['verify', 'nosuchapp', ...ws.flags]);
  assert.equal(v.code, 1);
  assert.match(v.stderr, /RUNNEL_UNKNOWN_APP: unknown app "nosuchapp"/);
});

test('runnel verify while a pipeline runs: the files it holds are in use, not failures, and verify leaves nothing behind', async () => {
  const ws = workspace();
  const child = startCli(['run', 'buzz', '--rate', '50', ...ws.flags]);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    // Every sink has written (the DuckDB file is open and locked by the run).
    while (jsonlValues(join(ws.dir, 'data', 'buzz.jsonl')).length < 10) await new Promise((r) => setTimeout(r, 100));
    const v = await runCli(['verify', ...ws.flags]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(
      line(v.stdout, 'buzz duckdb-buzz'),
      new RegExp(
        `^ok {4}buzz duckdb-buzz: \\S+buzz\\.duckdb \\(table streamed_messages\\): in use by pid ${child.pid} \\(a running pipeline\\); write check skipped, positions unknown$`,
      ),
    );
    // The others are read without writing: the running pipeline's files are left as they are.
    assert.match(
      line(v.stdout, 'buzz sqlite-buzz'),
      /^(ok {2}|lag ) {2}.*buzz\.sqlite.*: (up to date with|\d+ of \d+ records of) buzz/,
    );
    assert.match(
      line(v.stdout, 'buzz jsonl-buzz'),
      /^(ok {2}|lag ) {2}.*buzz\.jsonl: (up to date with|\d+ of \d+ records of) buzz/,
    );
    assert.match(v.stdout, /all checks passed(; \d output\(s\) not caught up yet)?\n$/);
  } finally {
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    clearTimeout(timer);
  }
  // What the run wrote is whole: verify cut nothing from the JSONL file it was appending to.
  const rows = sqliteRows<{ n: number }>(
    join(ws.dir, 'data', 'buzz.sqlite'),
    'SELECT count(*) AS n FROM streamed_messages',
  );
  assert.equal(jsonlValues(join(ws.dir, 'data', 'buzz.jsonl')).length, rows[0]!.n);

  // verify's round-trip topic is gone again: it showed on the dashboard.
  const topics = await runCli(['topics', '--broker', ws.broker]);
  assert.equal(topics.code, 0, topics.stderr);
  assert.match(topics.stdout, /^_runnel\.status /m, 'the listing shows internal topics, so the check below can fail');
  assert.doesNotMatch(topics.stdout, /_runnel\.verify/);
});

test("the dashboard's topic list hides runnel's internal topics unless asked", async () => {
  const ws = workspace();
  const run = await runCli(['run', 'buzz', '--limit', '5', '--rate', '0', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(run.code, 0, run.stderr);
  const dashboard = startCli(['dashboard', '--port', '0', '--broker', ws.broker]);
  const exited = new Promise<void>((resolve) => dashboard.on('close', () => resolve()));
  try {
    let out = '';
    dashboard.stdout!.on('data', (d: Buffer) => (out += d));
    while (!/http:\/\/\S+/.test(out)) await new Promise((r) => setTimeout(r, 50));
    const url = /http:\/\/\S+/.exec(out)![0];
    const names = async (path: string) =>
      ((await (await fetch(new URL(path, url))).json()) as Array<{ name: string }>).map((t) => t.name).sort();
    assert.deepEqual(await names('/api/topics'), ['buzz', 'buzz.dlq', 'buzz.stats']);
    assert.deepEqual(await names('/api/topics?internal=true'), ['_runnel.status', 'buzz', 'buzz.dlq', 'buzz.stats']);
  } finally {
    dashboard.kill('SIGINT');
    await exited;
  }
});
