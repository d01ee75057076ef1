import assert from 'node:assert/strict';
import fs, { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mock, test } from 'node:test';
import type { StreamRecord } from '../../../core/record.ts';
import { checkpointLines, checkpointPathOf, JsonlSink } from './jsonl.ts';

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

test('jsonl: with fsync, the lines and the new checkpoint are on disk before the checkpoint takes its place', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'runnel-jsonl-fsync-')), 'out.jsonl');
  const sink = new JsonlSink({ path, fsync: true });
  await sink.open();
  // Every fsync held a while, and each step noted: which file, started or done; and each rename.
  const events: string[] = [];
  const checkpoints = new Set<number>();
  const nameOf = (fd: number) => (checkpoints.has(fd) ? 'checkpoint' : 'lines');
  const realFsync = fs.fsync;
  const realRename = fs.renameSync;
  const realOpen = fs.openSync;
  mock.method(fs, 'openSync', (file: fs.PathLike, flags: fs.OpenMode, mode?: fs.Mode) => {
    const fd = realOpen(file, flags, mode);
    if (String(file).endsWith('.tmp')) checkpoints.add(fd);
    return fd;
  });
  mock.method(fs, 'fsync', (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => {
    const name = nameOf(fd);
    events.push(`fsync ${name} started`);
    const finish = (err: NodeJS.ErrnoException | null) => {
      events.push(`fsync ${name} done`);
      done(err);
    };
    setTimeout(() => realFsync(fd, finish), 20);
  });
  mock.method(fs, 'renameSync', (from: fs.PathLike, to: fs.PathLike) => {
    events.push('rename');
    realRename(from, to);
  });
  syncBuiltinESMExports();
  try {
    await sink.write([record(0), record(1)], [{ topic: 't', partition: 0, offset: 2 }]);
  } finally {
    mock.restoreAll();
    syncBuiltinESMExports();
  }
  await sink.close();
  // Both fsyncs finish before the rename, and (side by side) both start before either finishes.
  assert.equal(events.at(-1), 'rename');
  assert.deepEqual(events.slice(0, 2).sort(), ['fsync checkpoint started', 'fsync lines started']);
  assert.deepEqual(events.slice(2, 4).sort(), ['fsync checkpoint done', 'fsync lines done']);
  assert.equal(events.length, 5);
  assert.deepEqual(
    linesOf(path).map((l) => JSON.parse(l).n),
    [0, 1],
  );
  assert.deepEqual(JSON.parse(readFileSync(`${path}.offsets.json`, 'utf8')).positions, [
    { topic: 't', partition: 0, offset: 2 },
  ]);
});

test('jsonl: the checkpoint counts the lines the file holds, through foreign files, kills and old checkpoints', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'runnel-jsonl-')), 'out.jsonl');
  writeFileSync(path, '{"a":1}\n{"a":2}\n{"a":');
  let offset = 0;
  const batch = async (sink: JsonlSink, n: number) => {
    const records = Array.from({ length: n }, () => record(offset++));
    await sink.write(records, [{ topic: 't', partition: 0, offset }]);
  };
  let sink = new JsonlSink({ path, fsync: false });
  await sink.open();
  assert.equal(checkpointLines(path), linesOf(path).length, 'a foreign file: its whole lines');
  for (const n of [3, 1, 7]) await batch(sink, n);
  assert.equal(checkpointLines(path), linesOf(path).length);
  // A kill between a write's lines and its checkpoint: cut on reopen, and not counted.
  appendFileSync(path, '{"n":99}\n');
  await sink.close();
  sink = new JsonlSink({ path, fsync: false });
  await sink.open();
  assert.equal(checkpointLines(path), linesOf(path).length);
  await batch(sink, 4);
  await sink.close();
  // A checkpoint from before lines were counted: counted on the next open.
  const old = JSON.parse(readFileSync(checkpointPathOf(path), 'utf8')) as Record<string, unknown>;
  delete old.lines;
  writeFileSync(checkpointPathOf(path), JSON.stringify(old));
  assert.equal(checkpointLines(path), undefined);
  sink = new JsonlSink({ path, fsync: false });
  await sink.open();
  await batch(sink, 2);
  await sink.close();
  assert.equal(checkpointLines(path), linesOf(path).length);
  assert.equal(linesOf(path).length, 2 + 3 + 1 + 7 + 4 + 2);
});
