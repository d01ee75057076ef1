import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { setNumberColumn } from './numbers.ts';
import { duckdbModules } from './strings.ts';

const [duck, bindings] = await duckdbModules();

test('numbers written by setNumberColumn read back as they were, nulls as nulls, in every kind (property)', async () => {
  const instance = await duck.DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const column = <T>(cell: fc.Arbitrary<T>) => fc.array(fc.option(cell, { freq: 5 }), { minLength: 1, maxLength: 300 });
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }).chain((n) =>
          fc
            .tuple(
              // Every integer a JS number holds exactly, the edges and small ones more often.
              column(fc.oneof(fc.maxSafeInteger(), fc.integer(), fc.constantFrom(0, -1, 2 ** 32, -(2 ** 32), 2 ** 31))),
              column(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
              column(fc.double({ noNaN: true, noDefaultInfinity: true })),
              column(fc.boolean()),
            )
            .map((cols) => cols.map((c) => Array.from({ length: n }, (_, i) => c[i % c.length] ?? null))),
        ),
        async ([big, int, dbl, bool]) => {
          await conn.run('CREATE OR REPLACE TABLE t(i BIGINT, b BIGINT, n INTEGER, d DOUBLE, f BOOLEAN)');
          const appender = await conn.createAppender('t');
          const rows = big!.length;
          const chunk = duck.DuckDBDataChunk.create(
            [duck.BIGINT, duck.BIGINT, duck.INTEGER, duck.DOUBLE, duck.BOOLEAN],
            rows,
          );
          setNumberColumn(
            bindings,
            chunk.chunk,
            0,
            'bigint',
            Array.from({ length: rows }, (_, i) => i),
          );
          setNumberColumn(bindings, chunk.chunk, 1, 'bigint', big as Array<number | null>);
          setNumberColumn(bindings, chunk.chunk, 2, 'integer', int as Array<number | null>);
          setNumberColumn(bindings, chunk.chunk, 3, 'double', dbl as Array<number | null>);
          setNumberColumn(bindings, chunk.chunk, 4, 'boolean', bool as Array<boolean | null>);
          appender.appendDataChunk(chunk);
          appender.flushSync();
          appender.closeSync();
          const back = (await conn.runAndReadAll('SELECT b, n, d, f FROM t ORDER BY i')).getRows();
          // -0 comes back as 0 from a BIGINT, and as -0 from a DOUBLE (Object.is tells them apart).
          const want = big!.map((b, i) => [b === null ? null : BigInt(b), int![i], dbl![i], bool![i]]);
          assert.equal(back.length, want.length);
          for (const [i, row] of back.entries()) {
            assert.deepEqual(row.slice(0, 2), want[i]!.slice(0, 2));
            assert.ok(Object.is(row[2], want[i]![2]), `row ${i}: double ${String(row[2])} != ${String(want[i]![2])}`);
            assert.equal(row[3], want[i]![3]);
          }
        },
      ),
      { numRuns: 60 },
    );
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
});
