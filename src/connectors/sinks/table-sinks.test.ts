import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { duckdbRows, sqliteRows } from '../../../test/helpers/cli.ts';
import { createSink } from '../../core/connector-registry.ts';
import { createLogger } from '../../core/log.ts';
import type { StreamRecord } from '../../core/record.ts';
import './index.ts';

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

for (const kind of ['sqlite', 'duckdb'] as const) {
  test(`${kind}: reserved words as column and table names are stored and read back`, async () => {
    const dir = mkdtempSync(join(tmpdir(), `runnel-${kind}-`));
    const path = join(dir, `out.${kind}`);
    const sink = createSink(kind, { path, table: 'select', columns });
    const ctx = { signal: new AbortController().signal, log: createLogger({ quiet: true }) };
    await sink.open(ctx);
    await sink.write([record(0), record(1)], [{ topic: 't', partition: 0, offset: 2 }]);
    assert.deepEqual(await sink.storedPositions!(), [{ topic: 't', partition: 0, offset: 2 }]);
    await sink.close();
    const sql = 'SELECT id, "at", "order", "group" FROM "select" ORDER BY id';
    const rows = kind === 'sqlite' ? sqliteRows(path, sql) : await duckdbRows(path, sql);
    assert.deepEqual(
      rows.map((r) => [Number(r.id), Number(r.at), r.order, r.group]),
      [
        [1, 0, 'o0', 0],
        [2, 10, 'o1', 0.5],
      ],
    );
  });
}
