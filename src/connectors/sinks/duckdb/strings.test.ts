import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { duckdbModules, GROUP_UNITS, setStringColumn } from './strings.ts';

const [duck, bindings] = await duckdbModules();

/**
 * Any string, often near the 12 bytes DuckDB keeps inline, with multi-byte characters and NULs among them;
 * long ones both all ASCII and not (setStringColumn places those two ways).
 */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'grapheme', minLength: 4, maxLength: 30 }),
  fc.string({ minLength: 10, maxLength: 14 }),
  fc.string({ maxLength: 40 }),
);

/** `values` through setStringColumn into a fresh table `t(i, s)`, and read back in row order. */
async function roundTrip(
  conn: Awaited<ReturnType<InstanceType<typeof duck.DuckDBInstance>['connect']>>,
  values: Array<string | null>,
): Promise<unknown[]> {
  await conn.run('CREATE OR REPLACE TABLE t(i BIGINT, s VARCHAR)');
  const appender = await conn.createAppender('t');
  const chunk = duck.DuckDBDataChunk.create([duck.BIGINT, duck.VARCHAR], values.length);
  chunk.setColumnValues(
    0,
    values.map((_, i) => BigInt(i)),
  );
  setStringColumn(bindings, chunk.chunk, 1, values);
  appender.appendDataChunk(chunk);
  appender.flushSync();
  appender.closeSync();
  return (await conn.runAndReadAll('SELECT s FROM t ORDER BY i')).getRows().map(([s]) => s);
}

test('strings written by setStringColumn read back as they were, nulls as nulls, and compare as DuckDB made them (property)', async () => {
  const instance = await duck.DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(text, { freq: 6 }), { minLength: 1, maxLength: 300 }), async (values) => {
        const back = await roundTrip(conn, values);
        assert.deepEqual(back, values);
        // Equality and grouping see the same strings as ones DuckDB built itself (inline padding included).
        await conn.run('CREATE OR REPLACE TABLE v(i BIGINT, s VARCHAR)');
        const prepared = await conn.prepare('INSERT INTO v VALUES ($1, $2)');
        for (const [i, s] of values.entries()) {
          prepared.bindBigInt(1, BigInt(i));
          if (s === null) prepared.bindNull(2);
          else prepared.bindVarchar(2, s);
          await prepared.run();
        }
        const [[matched, groups]] = (
          await conn.runAndReadAll(
            'SELECT (SELECT count(*) FROM t JOIN v USING (i) WHERE t.s = v.s), (SELECT count(DISTINCT s) FROM t)',
          )
        ).getRows() as [[bigint, bigint]];
        assert.equal(Number(matched), values.filter((s) => s !== null).length);
        // Ordering reads a long string's 4-byte prefix first, then the bytes its pointer reaches.
        const [[sameOrder]] = (
          await conn.runAndReadAll(
            'SELECT (SELECT list(i ORDER BY s, i) FROM t) IS NOT DISTINCT FROM (SELECT list(i ORDER BY s, i) FROM v)',
          )
        ).getRows() as [[boolean]];
        assert.equal(sameOrder, true);
        assert.equal(Number(groups), new Set(values.filter((s) => s !== null)).size);
      }),
      { numRuns: 60 },
    );
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
});

test("long strings beyond one copy's bound go in several copies, each string whole and in its row", async () => {
  const instance = await duck.DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    // Over half the bound each: no two share a copy. Between them, short and null cells, and one not ASCII.
    const big = (c: string) => c.repeat(GROUP_UNITS / 2 + 1);
    const values = [big('a'), 'short', null, big('b'), `${big('c')}é`, 'a long one but small', big('d')];
    const back = await roundTrip(conn, values);
    assert.equal(back.length, values.length);
    for (const [i, s] of back.entries()) assert.ok(s === values[i], `row ${i} differs`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
});
