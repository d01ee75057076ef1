import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { check, type Event } from '../helpers/checker.ts';
import { duckdbRows, sqliteRows } from '../helpers/cli.ts';
import { brokerWithEvents } from '../helpers/events-broker.ts';
import { killAtLines } from '../helpers/kill-at.ts';

const FIXTURE = new URL('./fixtures/crash-consumer.ts', import.meta.url).pathname;
const N = 30_000;

/** Starts the consumer and SIGKILLs it once the jsonl sink holds `killAt` lines (progress, not clock). */
function runUntil(broker: string, dir: string, mode: string, killAt?: number): Promise<'killed' | 'exited'> {
  // The at-least-once control kills itself between its write and its commit (see the fixture).
  const dieAfter = mode === 'at-least-once' && killAt !== undefined ? ['--die-after', String(killAt)] : [];
  const child = spawn(process.execPath, [FIXTURE, '--broker', broker, '--dir', dir, '--mode', mode, ...dieAfter], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return killAtLines(child, join(dir, 'events.jsonl'), mode === 'at-least-once' ? undefined : killAt);
}

async function crashRun(mode: 'exactly-once' | 'at-least-once', seed: number) {
  const dir = mkdtempSync(join(tmpdir(), `runnel-crash-${mode}-`));
  const url = await brokerWithEvents(dir, N);
  // Kill points spread over 5–95% of progress, different per seed.
  let x = seed;
  const rand = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  const points = Array.from({ length: 5 }, () => Math.floor(N * (0.05 + 0.9 * rand()))).sort((a, b) => a - b);
  let kills = 0;
  for (const at of points) if ((await runUntil(url, dir, mode, at)) === 'killed') kills++;
  assert.equal(await runUntil(url, dir, mode), 'exited');
  const jsonl = readFileSync(join(dir, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Event);
  const sqlite = sqliteRows<Event>(join(dir, 'events.sqlite'), 'SELECT id, key, seq FROM events ORDER BY rowid');
  const duck = (await duckdbRows<Event>(join(dir, 'events.duckdb'), 'SELECT id, key, seq FROM events ORDER BY id')).map(
    // DuckDB BIGINTs come back as bigint: compare as numbers like the other sinks.
    (e) => ({ id: Number(e.id), key: e.key, seq: Number(e.seq) }),
  );
  const integrity = sqliteRows<{ integrity_check: string }>(join(dir, 'events.sqlite'), 'PRAGMA integrity_check')[0]!;
  return {
    kills,
    jsonl: check(jsonl, N),
    sqlite: check(sqlite, N),
    duckdb: check(duck, N),
    integrity: integrity.integrity_check,
  };
}

for (const seed of [7, 1234]) {
  test(`kill -9 at 5 progress points (seed ${seed}): every sink ends with exactly N events, unique, in order per key`, async () => {
    const r = await crashRun('exactly-once', seed);
    assert.ok(r.kills >= 3, `most kill points should land before the end (got ${r.kills})`);
    for (const [name, v] of Object.entries({ jsonl: r.jsonl, sqlite: r.sqlite, duckdb: r.duckdb })) {
      assert.deepEqual(
        { count: v.count, lost: v.lost.length, duplicates: v.duplicates, nonmonotonic: v.nonmonotonic },
        { count: N, lost: 0, duplicates: 0, nonmonotonic: [] },
        `${name} after ${r.kills} kills`,
      );
    }
    assert.equal(r.integrity, 'ok');
  });
}

test('negative control: offsets committed after the write, in a separate store, let the checker see duplicates', async () => {
  const r = await crashRun('at-least-once', 99);
  assert.ok(r.kills >= 3);
  const dups = r.jsonl.duplicates + r.sqlite.duplicates + r.duckdb.duplicates;
  assert.ok(dups > 0, 'the at-least-once variant must show duplicates, or the harness cannot fail');
  // At-least-once still loses nothing.
  assert.deepEqual([r.jsonl.lost.length, r.sqlite.lost.length, r.duckdb.lost.length], [0, 0, 0]);
});
