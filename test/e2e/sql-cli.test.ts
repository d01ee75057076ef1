/**
 * `runnel sql` as a user runs it, over what `runnel run buzz` wrote: the answers match the JSONL file read
 * here, in the DuckDB table, the SQLite table and the JSONL view alike; a hostile query exits 1 with one
 * typed line and writes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { runCli, sqliteRows, startCli, workspace } from '../helpers/cli.ts';

const ws = workspace('runnel-sql-cli-');
const data = join(ws.dir, 'data');
let messages: Array<{ author: string }> = [];

before(async () => {
  const run = await runCli(['run', 'buzz', '--limit', '150', '--rate', '0', '-q', ...ws.flags], { cwd: ws.dir });
  assert.equal(run.code, 0, run.stderr);
  messages = readFileSync(join(data, 'buzz.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { author: string });
  assert.equal(messages.length, 150);
});

const sql = (...args: string[]) => runCli(['sql', ...args, ...ws.flags], { cwd: ws.dir });

describe('runnel sql', () => {
  test('messages per author: the same in DuckDB, SQLite and the JSONL view, and as counted here', async () => {
    const counts = new Map<string, number>();
    for (const m of messages) counts.set(m.author, (counts.get(m.author) ?? 0) + 1);
    const expected = [...counts].sort(([a], [b]) => a.localeCompare(b));
    for (const table of [
      'streamed_messages',
      'buzz.streamed_messages',
      'buzz_sqlite.streamed_messages',
      'jsonl.buzz',
    ]) {
      const res = await sql(
        `SELECT author, count(*) AS n FROM ${table} GROUP BY 1 ORDER BY 1`,
        '--app',
        'buzz',
        '--json',
      );
      assert.equal(res.code, 0, res.stderr);
      assert.deepEqual((JSON.parse(res.stdout) as { rows: unknown[][] }).rows, expected, table);
    }
  });

  test('prints an aligned table by default', async () => {
    const res = await sql('SELECT author, count(*) AS n FROM jsonl.buzz GROUP BY 1 ORDER BY 1', '--app', 'buzz');
    assert.equal(res.code, 0, res.stderr);
    const lines = res.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^author\s+n$/);
    const at = lines[0]!.indexOf('n');
    for (const line of lines.slice(1)) assert.match(line.slice(at), /^\d+$/, `column n starts at ${at}: ${line}`);
  });

  test('a hostile query: exit 1, one typed line, nothing written', async () => {
    const target = join(ws.dir, 'stolen.csv');
    const res = await sql(`SELECT 1; COPY streamed_messages TO '${target}'`, '--app', 'buzz');
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^runnel: RUNNEL_SQL_REFUSED: one statement only/);
    assert.equal(res.stderr.trim().split('\n').length, 1);
    const read = await sql("SELECT * FROM read_text('/etc/passwd')");
    assert.equal(read.code, 1);
    assert.match(read.stderr, /RUNNEL_SQL_REFUSED: table function read_text\(\) is not allowed/);
    assert.doesNotMatch(read.stdout + read.stderr, /root:/);
    assert.equal(existsSync(target), false);
  });

  test('--max-rows cuts with a note; --timeout stops a runaway query', async () => {
    const cut = await sql('SELECT * FROM range(50)', '--max-rows', '5');
    assert.equal(cut.code, 0, cut.stderr);
    assert.equal(cut.stdout.trimEnd().split('\n').length, 6, 'header and five rows');
    assert.match(cut.stderr, /first 5 rows/);
    const slow = await sql('SELECT count(*) FROM range(1000000) a, range(1000000) b', '--timeout', '0.5');
    assert.equal(slow.code, 1);
    assert.match(slow.stderr, /RUNNEL_SQL_TIMEOUT/);
  });
});

test('beside a running pipeline: its DuckDB file is held, so the SQLite twin answers, with a note', async () => {
  const live = workspace('runnel-sql-live-');
  const liveData = join(live.dir, 'data');
  const pipeline = startCli(['run', 'buzz', '--rate', '50', '-q', ...live.flags], { cwd: live.dir });
  const exited = new Promise((resolve) => pipeline.once('exit', resolve));
  try {
    const count = () => {
      try {
        return (
          sqliteRows<{ n: number }>(join(liveData, 'buzz.sqlite'), 'SELECT count(*) AS n FROM streamed_messages')[0]
            ?.n ?? 0
        );
      } catch {
        return 0; // the file or its table is not there yet
      }
    };
    for (let i = 0; i < 100 && count() < 5; i++) await new Promise((r) => setTimeout(r, 100));
    const res = await runCli(
      ['sql', '--app', 'buzz', '--json', 'SELECT count(*) FROM streamed_messages', ...live.flags],
      {
        cwd: live.dir,
      },
    );
    assert.equal(res.code, 0, res.stderr);
    const body = JSON.parse(res.stdout) as { rows: number[][]; notes: string[] };
    assert.match(body.notes.join(' '), new RegExp(`in use by pid ${pipeline.pid}`));
    assert.ok(body.rows[0]![0]! >= 5, `rows so far: ${body.rows[0]![0]}`);
  } finally {
    pipeline.kill('SIGINT');
    await exited;
  }
  // Stopped: DuckDB, SQLite and the JSONL file hold the same records.
  const lines = readFileSync(join(liveData, 'buzz.jsonl'), 'utf8').trim().split('\n').length;
  const after = await runCli(
    [
      'sql',
      '--app',
      'buzz',
      '--json',
      'SELECT (SELECT count(*) FROM buzz.streamed_messages), (SELECT count(*) FROM buzz_sqlite.streamed_messages)',
      ...live.flags,
    ],
    { cwd: live.dir },
  );
  assert.equal(after.code, 0, after.stderr);
  assert.deepEqual((JSON.parse(after.stdout) as { rows: unknown[][] }).rows, [[lines, lines]]);
});

test('--app takes a pipeline file, as run does: its tables are found by the name the file defines', async () => {
  const w = workspace('runnel-sql-app-file-');
  const index = new URL('../../src/index.ts', import.meta.url).pathname;
  writeFileSync(
    join(w.dir, 'tally.ts'),
    `import { defineApp, z } from ${JSON.stringify(index)};
export default defineApp({
  name: 'tally',
  sources: () => [{ topic: 'tally.in', source: { name: 'numbers', async *read() {
    yield Array.from({ length: 40 }, (_, i) => ({ kind: 'record' as const, record: { key: null, value: { i } } }));
  } } }],
  pipeline(t) {
    t.stream('tally.in', { schema: z.object({ i: z.number() }) }).filter((v) => v.i % 2 === 0).to('tally.even');
  },
  sinks: [{ topic: 'tally.even', kinds: ['sqlite'] }],
});
`,
  );
  const run = await runCli(['run', './tally.ts', '-q', ...w.flags], { cwd: w.dir });
  assert.equal(run.code, 0, run.stderr);
  const evens = Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 2 === 0);
  const res = await runCli(
    ['sql', 'SELECT count(*) AS n, sum(i) AS s FROM tally_even', '--app', './tally.ts', '--json', ...w.flags],
    {
      cwd: w.dir,
    },
  );
  assert.equal(res.code, 0, res.stderr);
  const { rows } = JSON.parse(res.stdout) as { rows: unknown[][] };
  assert.deepEqual(
    rows.map((r) => r.map(Number)),
    [[evens.length, evens.reduce((a, b) => a + b, 0)]],
  );
  // A file that is not there says so, in one line.
  const missing = await runCli(['sql', 'SELECT 1', '--app', './nope.ts', ...w.flags], { cwd: w.dir });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /RUNNEL_FILE_NOT_FOUND: pipeline file not found: .*nope\.ts/);
});
