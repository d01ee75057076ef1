import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { jsonlValues, runCli, workspace } from '../helpers/cli.ts';
import { rows, testDatabase } from '../helpers/postgres.ts';

// Kill -9, outages, the CLI with jsonl and a hanging server: test/e2e/database-sinks.test.ts, with cassandra.
test('runnel run with a postgres role that does not exist: fails at once in one line, without the password', async (t) => {
  const pg = await testDatabase(t);
  if (!pg) return;
  const ws = workspace();
  const bad = new URL(pg);
  bad.username = 'nobody_here';
  bad.password = 'hunter2';
  const r = await runCli(['run', 'buzz', '--limit', '100', '--rate', '0', '--sinks', 'jsonl,postgres', ...ws.flags], {
    env: { RUNNEL_POSTGRES_URL: bad.toString() },
    timeoutMs: 30_000,
  });
  assert.notEqual(r.code, 0);
  assert.doesNotMatch(r.stderr, /retrying/, 'fails fast: a role that does not exist is not retried');
  const errors = r.stderr.split('\n').filter((l) => l.includes('RUNNEL_'));
  assert.ok(errors.length >= 1, r.stderr);
  assert.match(
    r.stderr,
    /RUNNEL_OUTPUT_UNWRITABLE: cannot write postgres:\/\/nobody_here@127\.0\.0\.1:\d+\/runnel_test_\w+ \(table buzz\.\w+\): role "nobody_here" does not exist/,
  );
  assert.ok(!`${r.stdout}${r.stderr}`.includes('hunter2'), 'the password never appears');
  assert.ok(!r.stderr.includes('    at '), 'no stack trace');
});

test("a seed's .env (DATABASE_TYPE=postgres, POSTGRES_HOST/PORT/DB/USER) sends the run to Postgres without --sinks", async (t) => {
  const pg = await testDatabase(t);
  if (!pg) return;
  const ws = workspace();
  const u = new URL(pg);
  const env = {
    DATABASE_TYPE: 'postgres',
    POSTGRES_HOST: u.hostname,
    POSTGRES_PORT: u.port || '5432',
    POSTGRES_DB: u.pathname.slice(1),
    POSTGRES_USER: decodeURIComponent(u.username),
  };
  const r = await runCli(['run', 'buzz', '--limit', '60', '--rate', '0', '--seed', '4', ...ws.flags], { env });
  assert.equal(r.code, 0, r.stderr);
  const jsonl = jsonlValues<{ message: string }>(join(ws.dir, 'data', 'buzz.jsonl')).map((m) => m.message);
  assert.equal(jsonl.length, 60);
  const got = await rows<{ message: string }>(pg, 'SELECT message FROM buzz.streamed_messages ORDER BY id');
  assert.deepEqual(
    got.map((m) => m.message),
    jsonl,
    'the same messages as the default sinks',
  );
});
