import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { defineApp } from '../apps/define-app.ts';
import { stopcovidApp } from '../apps/stopcovid/index.ts';
import { ErrorCodes } from '../core/errors.ts';
import type { StreamRecord } from '../core/record.ts';
import { sinkGroup } from '../core/runners/sink-runner.ts';
import { printBinding } from './print-sink.ts';

const record = (offset: number, value: unknown): StreamRecord => ({
  topic: 'notes',
  partition: 2,
  offset,
  key: null,
  value,
  timestamp: 0,
  headers: {},
});

test('the printer: a line per record, undefined skipped, a line that throws dead-letters its record by name', async () => {
  const printed: string[] = [];
  const { sink, topic, here } = printBinding(
    {
      topic: 'notes',
      line: (v) => {
        const m = (v as { m?: unknown }).m;
        if (m === 'boom') throw new Error('no such field');
        return typeof m === 'string' ? m : undefined;
      },
    },
    async (text) => {
      printed.push(text);
    },
  );
  assert.equal(topic, 'notes');
  assert.equal(here, true, 'kept out of sink threads');
  const values = [{ m: 'one' }, { x: 1 }, { m: 'boom' }, { m: 'two' }];
  const result = await sink.write(
    values.map((v, i) => record(10 + i, v)),
    [],
  );
  assert.deepEqual(printed, ['one\ntwo\n'], 'one write per batch, skipped and failed lines left out');
  assert.equal(result?.rejected?.length, 1);
  const [bad] = result!.rejected!;
  assert.equal(bad!.record.offset, 12);
  assert.equal(bad!.error.code, ErrorCodes.PROCESSING_FAILED);
  assert.match(bad!.error.message, /^prints\.line failed on notes partition 2 offset 12: no such field$/);
});

test("the printer's group is the same from any folder (its target is not a path), and an app's sinks may go to threads", async () => {
  const { sink } = printBinding({ topic: 'notes', line: String });
  const here = sinkGroup('app', sink.name, sink.target);
  const cwd = process.cwd();
  try {
    process.chdir(tmpdir());
    assert.equal(sinkGroup('app', sink.name, sink.target), here);
  } finally {
    process.chdir(cwd);
  }
  const app = await stopcovidApp.build({ dataDir: '/tmp/x', sinks: ['jsonl', 'sqlite'], env: {} });
  assert.ok(app.sinks.length > 0 && app.sinks.every((b) => b.here === undefined));
});

test('defineApp refuses a `prints` topic that none of its steps, sources or sinks use', async () => {
  const app = (topic: string) =>
    defineApp({
      name: 'p',
      pipeline: (t) => {
        t.stream('in').to('out');
      },
      prints: { topic, line: String },
    });
  const options = { dataDir: '/tmp/x', sinks: [], env: {} };
  assert.equal((await app('out').build(options)).prints?.topic, 'out');
  assert.throws(
    () => app('ou').build(options),
    (e: Error & { code?: string }) =>
      e.code === ErrorCodes.CONFIG_INVALID && /prints\.topic "ou" is none of p's topics \(in, out\)/.test(e.message),
  );
});
