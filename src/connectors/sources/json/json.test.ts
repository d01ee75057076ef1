import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SourceItem } from '../../../core/connector.ts';
import { createSource } from '../../../core/connector-registry.ts';
import { createLogger } from '../../../core/log.ts';
import '../index.ts';

const BUZZ_JSON = new URL('../../../../test/fixtures/seed-data/buzz.json', import.meta.url).pathname;

test("a JSON array file (the seeds' buzz.json) is read once, every element a record", async () => {
  const source = createSource('json', { path: BUZZ_JSON, key: 'author' });
  const items: SourceItem[] = [];
  for await (const batch of source.read({ signal: new AbortController().signal, log: createLogger({ quiet: true }) }))
    items.push(...batch);
  assert.equal(items.length, 100);
  const first = items[0]!;
  assert.equal(first.kind, 'record');
  const value = (first as Extract<SourceItem, { kind: 'record' }>).record.value as { message: string; author: string };
  assert.equal(typeof value.message, 'string');
  assert.equal((first as Extract<SourceItem, { kind: 'record' }>).record.key, value.author);
});

test('a file read whole goes on after the items an earlier run made durable (JSONL with blank lines, and an array)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-json-'));
  const lines = Array.from({ length: 30 }, (_, i) => (i % 7 === 3 ? 'not json' : JSON.stringify({ i })));
  const jsonl = join(dir, 'in.jsonl');
  writeFileSync(jsonl, `${lines.map((l, i) => (i % 5 === 0 ? `${l}\n` : l)).join('\n')}\n`);
  const array = join(dir, 'in.json');
  writeFileSync(array, JSON.stringify(Array.from({ length: 30 }, (_, i) => ({ i }))));
  const read = async (path: string, skip: number) => {
    const items: SourceItem[] = [];
    const source = createSource('json', { path });
    for await (const batch of source.read({
      signal: new AbortController().signal,
      log: createLogger({ quiet: true }),
      skip,
    }))
      items.push(...batch);
    return items.map((i) => i.position);
  };
  for (const path of [jsonl, array]) {
    const whole = await read(path, 0);
    assert.equal(whole.length, 30, 'blank lines are no items');
    for (const skip of [1, 12, 29, 30, 31])
      assert.deepEqual(await read(path, skip), whole.slice(skip), `${path} skip ${skip}`);
    assert.equal(createSource('json', { path }).replay?.()?.input, path);
  }
  assert.equal(createSource('json', { path: jsonl, follow: true }).replay?.(), undefined, 'a followed file is a feed');
});

test('follow: appended lines, a line finished later, truncation and rotation; nothing skipped or repeated', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-json-follow-'));
  const path = join(dir, 'live.jsonl');
  writeFileSync(path, '{"n":1}\n{"n":2}\n');
  const stop = new AbortController();
  const source = createSource('json', { path, follow: true, pollMs: 20 });
  const it = source.read({ signal: stop.signal, log: createLogger({ quiet: true }) })[Symbol.asyncIterator]();
  const seen: unknown[] = [];
  /** Pulls batches until `n` values arrived in all (fails after 5 s rather than hanging). */
  const until = async (n: number) => {
    const deadline = Date.now() + 5000;
    while (seen.length < n) {
      assert.ok(Date.now() < deadline, `only ${JSON.stringify(seen)} after 5 s`);
      const next = await it.next();
      if (next.done) break;
      for (const item of next.value) seen.push(item.kind === 'record' ? item.record.value : `bad:${item.raw}`);
    }
  };
  await until(2);
  appendFileSync(path, '{"n":3}\n{"n":');
  await until(3);
  appendFileSync(path, '4}\n');
  await until(4);
  writeFileSync(path, '{"n":5}\n'); // truncated in place, shorter than before
  await until(5);
  appendFileSync(path, '{"n":6}\n');
  renameSync(path, `${path}.1`); // rotated: the old file keeps a line written just before
  writeFileSync(path, '{"n":7}\nnot json\n');
  await until(8);
  stop.abort();
  await it.return?.();
  assert.deepEqual(seen, [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }, { n: 6 }, { n: 7 }, 'bad:not json']);
});
