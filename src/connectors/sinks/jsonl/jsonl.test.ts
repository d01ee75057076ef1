import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StreamRecord } from '../../../core/record.ts';
import { JsonlSink } from './jsonl.ts';

const record = (offset: number): StreamRecord => ({
  topic: 't',
  partition: 0,
  offset,
  key: null,
  value: { n: offset },
  timestamp: 0,
  headers: {},
});
const linesOf = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);

test('jsonl: lines of a first write killed before its checkpoint are cut on reopen, not kept as a foreign file', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'runnel-jsonl-')), 'out.jsonl');
  let sink = new JsonlSink({ path, fsync: false });
  await sink.open();
  // What a kill -9 between the first write's lines and its checkpoint leaves: the lines alone.
  appendFileSync(path, `${JSON.stringify({ n: 0 })}\n${JSON.stringify({ n: 1 })}\n`);
  await sink.close();
  sink = new JsonlSink({ path, fsync: false });
  await sink.open();
  assert.deepEqual(await sink.storedPositions(), []);
  assert.deepEqual(linesOf(path), []);
  // Written again from the start (the positions say nothing was written): each record once.
  await sink.write([record(0), record(1)], [{ topic: 't', partition: 0, offset: 2 }]);
  appendFileSync(path, `${JSON.stringify({ n: 2 })}\n`);
  await sink.close();
  sink = new JsonlSink({ path, fsync: false });
  await sink.open();
  assert.deepEqual(await sink.storedPositions(), [{ topic: 't', partition: 0, offset: 2 }]);
  assert.deepEqual(
    linesOf(path).map((l) => JSON.parse(l).n),
    [0, 1],
  );
  await sink.close();
});

test('jsonl: a file it did not write keeps its whole lines and cuts a torn tail', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'runnel-jsonl-')), 'out.jsonl');
  writeFileSync(path, '{"a":1}\n{"a":2}\n{"a":');
  const sink = new JsonlSink({ path, fsync: false });
  await sink.open();
  assert.deepEqual(linesOf(path), ['{"a":1}', '{"a":2}']);
  await sink.write([record(0)], [{ topic: 't', partition: 0, offset: 1 }]);
  await sink.close();
  assert.deepEqual(linesOf(path), ['{"a":1}', '{"a":2}', '{"n":0}']);
});
