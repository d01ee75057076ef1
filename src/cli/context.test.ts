import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SINKS, parseSinks } from './context.ts';

test("the seeds' DATABASE_TYPE picks the default sinks; --sinks always wins; an unknown type is one line", () => {
  assert.deepEqual(parseSinks(undefined, {}), DEFAULT_SINKS);
  assert.deepEqual(parseSinks(undefined, { DATABASE_TYPE: 'sqlite' }), DEFAULT_SINKS);
  for (const t of ['postgres', 'PostgreSQL', ' postgres ']) {
    assert.deepEqual(parseSinks(undefined, { DATABASE_TYPE: t }), [...DEFAULT_SINKS, 'postgres']);
  }
  assert.deepEqual(parseSinks('jsonl', { DATABASE_TYPE: 'postgres' }), ['jsonl']);
  assert.throws(
    () => parseSinks(undefined, { DATABASE_TYPE: 'mongodb' }),
    (e: Error & { code?: string }) =>
      e.code === 'RUNNEL_CONFIG_INVALID' && /^DATABASE_TYPE=mongodb: /.test(e.message) && !e.message.includes('\n'),
  );
});
