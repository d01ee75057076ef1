import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { sqliteRows } from '../../../../test/helpers/cli.ts';
import { createSink } from '../../../core/connector-registry.ts';
import { createLogger } from '../../../core/log.ts';
import type { StreamRecord } from '../../../core/record.ts';
import '../index.ts';

// Column names that are reserved words in SQLite or DuckDB: the smoker alerts' `at` broke DuckDB once.
const columns = [
  { name: 'at', type: 'integer' },
  { name: 'order', type: 'text' },
  { name: 'group', type: 'real' },
];
const record = (offset: number): StreamRecord => ({
  topic: 't',
  partition: 0,
  offset,
  key: null,
  value: { at: offset * 10, order: `o${offset}`, group: offset / 2 },
  timestamp: 1_700_000_000_000 + offset,
  headers: {},
});

// sqlite only: its rows are unique by (topic, partition, offset), so a batch written twice is stored once
// (duckdb relies on its stored positions, which the consumer loop checks before writing).
const kind = 'sqlite';
test(`${kind}: batches of every size, misfits among them, are stored in order, once, also when written again`, async () => {
  let s = 7;
  const rand = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const dir = mkdtempSync(join(tmpdir(), `runnel-${kind}-batches-`));
  const path = join(dir, `rows.${kind}`);
  const ctx = { signal: new AbortController().signal, log: createLogger({ quiet: true }) };
  const sink = createSink(kind, { path, table: 'rows', columns });
  await sink.open(ctx);
  const expected: Array<[number, string, number]> = [];
  let offset = 0;
  for (const size of [0, 1, 63, 64, 65, 129, 300, 1000]) {
    const records: StreamRecord[] = [];
    const misfits = new Set<number>();
    for (let i = 0; i < size; i++) {
      const r = record(offset++);
      if (rand() < 0.05) {
        // A text where an integer goes: rejected, the rest of the batch stored.
        (r.value as Record<string, unknown>).at = 'x';
        misfits.add(r.offset);
      } else {
        const v = r.value as { at: number; order: string; group: number };
        expected.push([v.at, v.order, v.group]);
      }
      records.push(r);
    }
    const positions = [{ topic: 't', partition: 0, offset }];
    const result = await sink.write(records, positions);
    assert.deepEqual(new Set((result?.rejected ?? []).map((x) => x.record.offset)), misfits);
    // Written again (a replay after a crash before the consumer's commit): nothing twice.
    await sink.write(records, positions);
  }
  await sink.close();
  const sql = 'SELECT "at", "order", "group" FROM "rows" ORDER BY id';
  const rows = sqliteRows(path, sql);
  assert.deepEqual(
    rows.map((r) => [Number(r.at), r.order, r.group]),
    expected,
  );
});

test('sqlite: a table of 600 columns (past 32766 variables in a 64-row insert) stores every row of a big batch', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-sqlite-wide-'));
  const path = join(dir, 'wide.sqlite');
  const ctx = { signal: new AbortController().signal, log: createLogger({ quiet: true }) };
  const width = 600;
  const sink = createSink('sqlite', { path, table: 'wide' });
  await sink.open(ctx);
  const records: StreamRecord[] = Array.from({ length: 150 }, (_, i) => ({
    topic: 'w',
    partition: 0,
    offset: i,
    key: null,
    value: Object.fromEntries(Array.from({ length: width }, (_, c) => [`c${c}`, i * width + c])),
    timestamp: i,
    headers: {},
  }));
  await sink.write(records, [{ topic: 'w', partition: 0, offset: records.length }]);
  await sink.close();
  const rows = sqliteRows<Record<string, number>>(path, 'SELECT c0, c599 FROM wide ORDER BY id');
  assert.deepEqual(
    rows.map((r) => [Number(r.c0), Number(r.c599)]),
    records.map((_, i) => [i * width, i * width + width - 1]),
  );
});

test('sqlite: a batch older than what the table holds (a partition handed back after another worker wrote it) adds nothing and moves no position back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-sqlite-stale-'));
  const path = join(dir, 'rows.sqlite');
  const ctx = { signal: new AbortController().signal, log: createLogger({ quiet: true }) };
  const batch = (from: number, to: number, partition: number) =>
    Array.from({ length: to - from }, (_, i) => ({ ...record(from + i), partition }));
  // Two writers of one table, as two workers that each had partition 0 for a while.
  const a = createSink('sqlite', { path, table: 'rows', columns });
  const b = createSink('sqlite', { path, table: 'rows', columns });
  await a.open(ctx);
  await b.open(ctx);
  await a.write(batch(0, 50, 0), [{ topic: 't', partition: 0, offset: 50 }]);
  await b.write(batch(50, 120, 0), [{ topic: 't', partition: 0, offset: 120 }]);
  // a's view is stale: it writes 50..100 again, beside partition 1's first records.
  await a.write(
    [...batch(50, 100, 0), ...batch(0, 10, 1)],
    [
      { topic: 't', partition: 0, offset: 100 },
      { topic: 't', partition: 1, offset: 10 },
    ],
  );
  const held = new Map((await a.storedPositions!()).map((p) => [p.partition, p.offset]));
  await a.close();
  await b.close();
  assert.deepEqual(
    held,
    new Map([
      [0, 120],
      [1, 10],
    ]),
  );
  const rows = sqliteRows(path, 'SELECT _partition AS p, _offset AS o FROM rows ORDER BY id');
  const expected = [...batch(0, 120, 0), ...batch(0, 10, 1)].map((r) => `${r.partition}:${r.offset}`);
  assert.deepEqual(
    rows.map((r) => `${r.p}:${r.o}`),
    expected,
  );
});

test('sqlite: a table made with the former UNIQUE(_topic, _partition, _offset) still takes batches, a replayed row once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-sqlite-former-'));
  const path = join(dir, 'rows.sqlite');
  const db = new DatabaseSync(path);
  db.exec(`CREATE TABLE rows (id INTEGER PRIMARY KEY, "at" INTEGER, "order" TEXT, "group" REAL,
    _topic TEXT, _partition INTEGER, _offset INTEGER, _key TEXT, _timestamp INTEGER, UNIQUE(_topic, _partition, _offset))`);
  db.close();
  const ctx = { signal: new AbortController().signal, log: createLogger({ quiet: true }) };
  const sink = createSink('sqlite', { path, table: 'rows', columns });
  await sink.open(ctx);
  const records = Array.from({ length: 30 }, (_, i) => record(i));
  await sink.write(records.slice(0, 20), [{ topic: 't', partition: 0, offset: 20 }]);
  // Its positions lost (a user emptied runnel_offsets): the index alone keeps rows 10..19 once.
  sqliteExec(path, 'DELETE FROM runnel_offsets');
  await sink.write(records.slice(10), [{ topic: 't', partition: 0, offset: 30 }]);
  await sink.close();
  const rows = sqliteRows(path, 'SELECT _offset AS o FROM rows ORDER BY id');
  assert.deepEqual(
    rows.map((r) => Number(r.o)),
    records.map((r) => r.offset),
  );
});

function sqliteExec(path: string, sql: string): void {
  const db = new DatabaseSync(path);
  db.exec(sql);
  db.close();
}

test("sqlite: a new table's first batch that fails is written whole by its retry (the table outlives the rollback)", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-sqlite-first-'));
  const path = join(dir, 'rows.sqlite');
  const ctx = { signal: new AbortController().signal, log: createLogger({ quiet: true }) };
  // No configured columns: the first batch makes the table.
  const sink = createSink('sqlite', { path, table: 'rows' });
  await sink.open(ctx);
  const records = Array.from({ length: 10 }, (_, i) => record(i));
  // A position SQLite refuses (its NOT NULL topic) fails the batch after its rows went in.
  const bad = [{ topic: null as unknown as string, partition: 0, offset: 10 }];
  await assert.rejects(sink.write(records, bad));
  await sink.write(records, [{ topic: 't', partition: 0, offset: 10 }]);
  await sink.close();
  const rows = sqliteRows(path, 'SELECT _offset AS o FROM rows ORDER BY id');
  assert.deepEqual(
    rows.map((r) => Number(r.o)),
    records.map((r) => r.offset),
  );
});
