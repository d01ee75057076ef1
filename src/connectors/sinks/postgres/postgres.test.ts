import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { admin, rows, testDatabase } from '../../../../test/helpers/postgres.ts';
import { createSink } from '../../../core/connector-registry.ts';
import { formatError, isPermanent, isRunnelError } from '../../../core/errors.ts';
import { createLogger } from '../../../core/log.ts';
import '../index.ts';

const ctx = () => ({ signal: new AbortController().signal, log: createLogger({ quiet: true }) });
test('postgres: hostile table, schema and column names are refused at config, before any connection', () => {
  const url = 'postgres://postgres@127.0.0.1:1/none';
  for (const config of [
    { url, table: 'people; DROP TABLE people' },
    { url, table: 'x"y' },
    { url, schema: 'public"."evil', table: 'people' },
    { url, table: 'people', columns: [{ name: 'a) ; --', type: 'text' }] },
    { url, table: 'people', key: 'id); DROP' },
    { url: 'mysql://127.0.0.1/x', table: 'people' },
  ]) {
    assert.throws(() => createSink('postgres', config), /RUNNEL_CONFIG_INVALID|must be/, JSON.stringify(config));
  }
  // A URL that does not parse is echoed without its password.
  assert.throws(
    () => createSink('postgres', { url: 'postgres://u:hunter2@127.0.0.1:notaport/db', table: 't' }),
    (err: Error) => !err.message.includes('hunter2') && /u:\*\*\*@/.test(err.message),
  );
});

test('postgres: a role, database or permission that can never work fails at once, in one line, without the password', async (t) => {
  const url = await testDatabase(t);
  if (!url) return;
  const role = `runnel_ro_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE ROLE ${role} LOGIN`));
  t.after(() => admin((c) => c.query(`DROP ROLE IF EXISTS ${role}`)));
  const u = new URL(url);
  const cases = [
    { why: /role "nobody_here" does not exist/, url: `postgres://nobody_here:hunter2@${u.host}${u.pathname}` },
    { why: /database "no_such_db_x" does not exist/, url: `postgres://postgres:hunter2@${u.host}/no_such_db_x` },
    {
      why: /permission denied for schema public|no permission to create tables in schema public/,
      url: `postgres://${role}:hunter2@${u.host}${u.pathname}`,
    },
  ];
  for (const c of cases) {
    const sink = createSink('postgres', { url: c.url, table: 'people' });
    for (const step of [() => sink.open(ctx()), () => sink.verify!()]) {
      const err = await step().then(
        () => assert.fail(`${c.url} should fail`),
        (e: unknown) => e,
      );
      assert.ok(isRunnelError(err), String(err));
      assert.ok(isPermanent(err), `${formatError(err)} must be permanent`);
      const line = formatError(err);
      assert.match(line, c.why);
      assert.match(line, /^RUNNEL_OUTPUT_UNWRITABLE: cannot write postgres:\/\/[a-z_0-9]+@127\.0\.0\.1:5432\//);
      assert.ok(!line.includes('hunter2') && !sink.target.includes('hunter2'), line);
      assert.ok(!err.message.includes('\n'), 'one line');
    }
  }
  // The permission check of verify() also sees what CREATE would refuse, without creating anything.
  assert.deepEqual(await rows(url, "SELECT to_regclass('public.runnel_offsets') AS t"), [{ t: null }]);
});
