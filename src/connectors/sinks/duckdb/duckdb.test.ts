import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import type { StreamRecord } from '../../../core/record.ts';
import { DuckdbSink } from './duckdb.ts';

const rec = (partition: number, offset: number): StreamRecord => ({
  topic: 't',
  partition,
  offset,
  key: null,
  value: { n: partition * 1000 + offset, s: `p${partition}o${offset}` },
  timestamp: 0,
  headers: {},
});

/** The columns of rec's values, configured. */
const N_AND_S = [
  { name: 'n', type: 'integer' as const },
  { name: 's', type: 'text' as const },
];

async function rows(path: string): Promise<Array<[number, number, number, number, string]>> {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  const reader = await conn.runAndReadAll('SELECT id, _partition, _offset, n, s FROM t ORDER BY id');
  const out = (reader.getRows() as Array<[bigint, number, bigint, bigint, string]>).map(
    ([id, p, o, n, s]) => [Number(id), p, Number(o), Number(n), s] as [number, number, number, number, string],
  );
  conn.closeSync();
  instance.closeSync();
  return out;
}

test('duckdb: appended straight into the table, ids run 1..N in partition and offset order per batch, across reopens (property)', async () => {
  await fc.assert(
    fc.asyncProperty(
      // Batches of records from up to 3 partitions, each handed over in any order; a reopen after some.
      fc.array(fc.tuple(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 40 }), fc.boolean()), {
        minLength: 1,
        maxLength: 5,
      }),
      fc.integer(),
      async (batches, seed) => {
        const path = join(mkdtempSync(join(tmpdir(), 'runnel-duck-direct-')), 'out.duckdb');
        let sink = new DuckdbSink({ path, table: 't' });
        await sink.open();
        const next = [0, 0, 0];
        const want: Array<[number, number]> = [];
        let s = seed;
        for (const [parts, reopen] of batches) {
          const batch = parts.map((p) => rec(p, next[p]!++));
          // The sink numbers a batch by partition then offset, whatever the order it is handed.
          want.push(
            ...batch.map((r) => [r.partition, r.offset] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]),
          );
          for (let i = batch.length - 1; i > 0; i--) {
            s = (s * 1103515245 + 12345) | 0;
            const j = Math.abs(s) % (i + 1);
            [batch[i], batch[j]] = [batch[j]!, batch[i]!];
          }
          const positions = [0, 1, 2]
            .filter((p) => next[p]! > 0)
            .map((p) => ({ topic: 't', partition: p, offset: next[p]! }));
          await sink.write(batch, positions);
          if (reopen) {
            await sink.close();
            sink = new DuckdbSink({ path, table: 't' });
            await sink.open();
          }
        }
        await sink.close();
        const got = await rows(path);
        assert.deepEqual(
          got.map(([id]) => id),
          want.map((_, i) => i + 1),
        );
        assert.deepEqual(
          got.map(([, p, o]) => [p, o]),
          want,
        );
        for (const [, p, o, n, str] of got) {
          assert.equal(n, p * 1000 + o);
          assert.equal(str, `p${p}o${o}`);
        }
      },
    ),
    { numRuns: 25 },
  );
});

test('duckdb: a table whose columns are in another order still gets every value in its column', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'runnel-duck-order-')), 'out.duckdb');
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  await conn.run('CREATE SEQUENCE "t_id_seq" START 1');
  await conn.run(`CREATE TABLE t (s VARCHAR, _topic VARCHAR, id BIGINT PRIMARY KEY DEFAULT nextval('"t_id_seq"'),
    _partition INTEGER, _offset BIGINT, _key VARCHAR, _timestamp BIGINT, n BIGINT)`);
  conn.closeSync();
  instance.closeSync();
  const sink = new DuckdbSink({ path, table: 't', columns: N_AND_S });
  await sink.open();
  const batch = [rec(1, 0), rec(0, 0), rec(0, 1)];
  await sink.write(batch, [
    { topic: 't', partition: 0, offset: 2 },
    { topic: 't', partition: 1, offset: 1 },
  ]);
  await sink.close();
  const got = await rows(path);
  assert.deepEqual(
    got.map(([, p, o, n, s]) => [p, o, n, s]),
    [
      [0, 0, 0, 'p0o0'],
      [0, 1, 1, 'p0o1'],
      [1, 0, 1000, 'p1o0'],
    ],
  );
});

test('duckdb: a batch of several data chunks (2048 rows each) keeps every cell, null and type in its row', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'runnel-duck-chunks-')), 'out.duckdb');
  const n = 2048 * 2 + 7;
  const value = (i: number) => ({
    n: i % 5 === 0 ? null : i * 1_000_003,
    x: i % 7 === 0 ? null : i / 3,
    b: i % 11 === 0 ? null : i % 2 === 0,
    s: i % 13 === 0 ? null : `row ${i} é ${'z'.repeat(i % 40)}`,
  });
  const columns = [
    { name: 'n', type: 'integer' as const },
    { name: 'x', type: 'real' as const },
    { name: 'b', type: 'boolean' as const },
    { name: 's', type: 'text' as const },
  ];
  for (const keyed of [false, true]) {
    const table = keyed ? 'k' : 't';
    const sink = new DuckdbSink({
      path,
      table,
      columns: keyed ? [{ name: 'id', type: 'integer' }, ...columns] : columns,
      ...(keyed ? { key: 'id' } : {}),
    });
    await sink.open();
    const batch: StreamRecord[] = Array.from({ length: n }, (_, i) => ({
      topic: 'many',
      partition: i % 3,
      offset: Math.floor(i / 3),
      key: i % 4 === 0 ? null : `k${i}`,
      value: keyed ? { id: i, ...value(i) } : value(i),
      timestamp: 1_700_000_000_000 + i,
      headers: {},
    }));
    await sink.write(
      batch,
      [0, 1, 2].map((p) => ({ topic: 'many', partition: p, offset: Math.ceil((n - p) / 3) })),
    );
    await sink.close();
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    const got = (
      await conn.runAndReadAll(`SELECT n, x, b, s, _topic, _partition, _offset, _key, _timestamp, id FROM ${table}`)
    ).getRows() as Array<
      [
        bigint | null,
        number | null,
        boolean | null,
        string | null,
        string,
        number,
        bigint,
        string | null,
        bigint,
        bigint,
      ]
    >;
    conn.closeSync();
    instance.closeSync();
    assert.equal(got.length, n);
    const byPlace = new Map(got.map((row) => [`${row[5]}:${row[6]}`, row]));
    // A plain table's ids run 1..n in partition and offset order, across the chunks; a keyed one's are the records'.
    const order = batch.toSorted((a, b) => a.partition - b.partition || a.offset - b.offset);
    const idOf = new Map(order.map((r, i) => [r, keyed ? batch.indexOf(r) : i + 1]));
    for (const r of batch) {
      const v = value(batch.indexOf(r));
      const row = byPlace.get(`${r.partition}:${r.offset}`);
      assert.deepEqual(
        row,
        [
          v.n === null ? null : BigInt(v.n),
          v.x,
          v.b,
          v.s,
          'many',
          r.partition,
          BigInt(r.offset),
          r.key,
          BigInt(r.timestamp),
          BigInt(idOf.get(r)!),
        ],
        `${table} ${r.partition}:${r.offset}`,
      );
    }
  }
});

test('duckdb: a plain table written directly, then through staging (columns configured in another order), numbers each row once', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'runnel-duck-mixed-')), 'out.duckdb');
  const write = async (columns: Array<{ name: string; type: 'integer' | 'text' }>, from: number, count: number) => {
    const sink = new DuckdbSink({ path, table: 't', columns });
    await sink.open();
    const batch = Array.from({ length: count }, (_, i) => rec(0, from + i));
    await sink.write(batch, [{ topic: 't', partition: 0, offset: from + count }]);
    await sink.close();
  };
  const n = { name: 'n', type: 'integer' as const };
  const str = { name: 's', type: 'text' as const };
  await write([n, str], 0, 3); // the table is made in this order: appended directly
  await write([str, n], 3, 4); // another order: through the staging table
  await write([n, str], 7, 2); // and directly again
  assert.deepEqual(
    (await rows(path)).map(([id, , o]) => [id, o]),
    Array.from({ length: 9 }, (_, i) => [i + 1, i]),
  );
});

test('duckdb: a batch that fails after its rows were appended leaves no row and no position; its retry writes it once', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'runnel-duck-fail-')), 'out.duckdb');
  const sink = new DuckdbSink({ path, table: 't' });
  await sink.open();
  await sink.write([rec(0, 0), rec(0, 1)], [{ topic: 't', partition: 0, offset: 2 }]);
  const second = [rec(0, 2), rec(0, 3), rec(0, 4)];
  // A position DuckDB cannot store fails the batch in its last statement, after the Appender's flush.
  await assert.rejects(sink.write(second, [{ topic: 't', partition: 0, offset: Number.NaN }]));
  assert.deepEqual(await sink.storedPositions(), [{ topic: 't', partition: 0, offset: 2 }]);
  // The retry, and a topic name that needs quoting, go through the Appender made anew.
  await sink.write(second, [{ topic: "t's", partition: 0, offset: 5 }]);
  await sink.write([rec(0, 5)], [{ topic: "t's", partition: 0, offset: 6 }]);
  assert.deepEqual(
    (await sink.storedPositions()).sort((a, b) => a.topic.localeCompare(b.topic)),
    [
      { topic: 't', partition: 0, offset: 2 },
      { topic: "t's", partition: 0, offset: 6 },
    ],
  );
  await sink.close();
  const got = await rows(path);
  assert.deepEqual(
    got.map(([id, , o]) => [id, o]),
    [0, 1, 2, 3, 4, 5].map((o) => [o + 1, o]),
  );
});

test('duckdb: an integer beyond a BIGINT is a rejected record, not another number in the table', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'runnel-duck-big-')), 'out.duckdb');
  const sink = new DuckdbSink({ path, table: 't', columns: N_AND_S });
  await sink.open();
  const batch = [rec(0, 0), { ...rec(0, 1), value: { n: 2 ** 63, s: 'too big' } }, rec(0, 2)];
  const { rejected } = await sink.write(batch, [{ topic: 't', partition: 0, offset: 3 }]);
  await sink.close();
  assert.deepEqual(
    rejected?.map((r) => r.record.offset),
    [1],
  );
  assert.deepEqual(
    (await rows(path)).map(([, , o, n]) => [o, n]),
    [
      [0, 0],
      [2, 2],
    ],
  );
});

test("duckdb: a partition named twice in one batch's positions keeps the furthest", async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'runnel-duck-pos-')), 'out.duckdb');
  const sink = new DuckdbSink({ path, table: 't' });
  await sink.open();
  await sink.write(
    [rec(0, 0), rec(0, 1), rec(0, 2)],
    [
      { topic: 't', partition: 0, offset: 1 },
      { topic: 't', partition: 0, offset: 3 },
    ],
  );
  assert.deepEqual(await sink.storedPositions(), [{ topic: 't', partition: 0, offset: 3 }]);
  await sink.close();
});
