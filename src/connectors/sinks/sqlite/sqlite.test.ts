import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
