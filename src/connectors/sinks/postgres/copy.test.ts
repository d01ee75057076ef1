import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { admin, rows, testDatabase } from '../../../../test/helpers/postgres.ts';
import type { Sink } from '../../../core/connector.ts';
import { createSink } from '../../../core/connector-registry.ts';
import { createLogger } from '../../../core/log.ts';
import type { StreamRecord } from '../../../core/record.ts';
import type { Column } from '../columns.ts';
import { copyCounts, copyThreshold } from './postgres.ts';
import '../index.ts';

// Large batches go through COPY, straight into the table or through a staging table, small ones through
// INSERT … FROM unnest: the same records written through each path must give the same table, and the table
// the records say.

const ctx = () => ({ signal: new AbortController().signal, log: createLogger({ quiet: true }) });
const COLUMNS: Column[] = [
  { name: 'k', type: 'integer' },
  { name: 's', type: 'text' },
  { name: 'r', type: 'real' },
  { name: 'b', type: 'boolean' },
  { name: 'j', type: 'json' },
  { name: 'u', type: 'uuid' },
];

/** Text a COPY escaping bug would mangle, among arbitrary unicode (NUL included: refused per record). */
const text = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: fc.constantFrom('\\', '\t', '\n', '\r', 'N', '\\N', '.', 'é', '😀', '\u0000') }),
);
const value = fc.record(
  {
    k: fc.integer({ min: 0, max: 30 }),
    s: fc.option(text),
    r: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true })),
    b: fc.option(fc.boolean()),
    j: fc.option(fc.jsonValue()),
    u: fc.option(fc.uuid()),
  },
  { requiredKeys: ['k'] },
);

type Path = { rows: number; direct: boolean };
const PATHS: Record<string, Path> = {
  direct: { rows: 0, direct: true },
  staged: { rows: 0, direct: false },
  unnest: { rows: Number.POSITIVE_INFINITY, direct: false },
};

/** Runs `fn` with the sink's COPY settings set to `path`, and puts them back after. */
async function along<T>(path: Path, fn: () => Promise<T>): Promise<T> {
  const saved = { ...copyThreshold };
  Object.assign(copyThreshold, path);
  try {
    return await fn();
  } finally {
    Object.assign(copyThreshold, saved);
  }
}

async function writeAll(sink: Sink, batches: StreamRecord[][], path: Path): Promise<StreamRecord[]> {
  const rejected: StreamRecord[] = [];
  await along(path, async () => {
    for (const batch of batches) {
      const result = await sink.write(batch, [{ topic: 't', partition: 0, offset: batch.at(-1)!.offset + 1 }]);
      rejected.push(...(result?.rejected ?? []).map((x) => x.record));
    }
  });
  return rejected;
}

/** The sink's rule (checkCells): NUL in text, or `\u0000` in the JSON text of a json cell. */
const hasNul = (v: unknown): boolean => {
  const { s, j } = v as { s?: string | null; j?: unknown };
  return (typeof s === 'string' && s.includes('\u0000')) || JSON.stringify(j ?? null).includes('\\u0000');
};

/** A record's row as node-postgres reads it back: bigint as text, jsonb parsed, uuid lower case, -0 as 0. */
function expectedRow(r: StreamRecord): Record<string, unknown> {
  const v = r.value as Record<string, unknown>;
  const or = (x: unknown) => (x === undefined ? null : x);
  return {
    k: String(v.k),
    s: or(v.s),
    r: v.r === undefined || v.r === null ? null : Object.is(v.r, -0) ? 0 : v.r,
    b: or(v.b),
    j: v.j === undefined || v.j === null ? null : JSON.parse(JSON.stringify(v.j)),
    u: typeof v.u === 'string' ? v.u.toLowerCase() : null,
    _offset: String(r.offset),
    _key: r.key,
  };
}

const select = (table: string, order: string) =>
  `SELECT k, s, r, b, j, u, _offset, _key FROM ${table} ORDER BY ${order}`;

test('postgres: COPY direct, COPY staged and unnest write the same rows, the rows the records say (table and append mode, property)', async (t) => {
  const url = await testDatabase(t);
  if (!url) return;
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(value, { minLength: 1, maxLength: 60 }), { minLength: 1, maxLength: 3 }),
      fc.boolean(),
      async (values, keyed) => {
        run++;
        let offset = 0;
        const batches = values.map((vs) =>
          vs.map((v): StreamRecord => {
            const o = offset++;
            return { topic: 't', partition: 0, offset: o, key: `key ${o}\t\\`, value: v, timestamp: o, headers: {} };
          }),
        );
        const tables: Record<string, unknown[]> = {};
        const refused: Record<string, StreamRecord[]> = {};
        for (const [path, settings] of Object.entries(PATHS)) {
          const table = `${path}_${run}`;
          const sink = createSink('postgres', { url, table, columns: COLUMNS, ...(keyed ? { key: 'k' } : {}) });
          await sink.open(ctx());
          refused[path] = await writeAll(sink, batches, settings);
          // A batch written again (a replay after a crash) changes nothing in either mode.
          refused[path].push(...(await writeAll(sink, batches.slice(-1), settings)));
          await sink.close();
          // Append mode: the generated ids follow the order the records came in.
          tables[path] = await rows(url, select(table, keyed ? 'k' : 'id'));
        }
        const all = batches.flat();
        const bad = all.filter((r) => hasNul(r.value));
        const good = all.filter((r) => !hasNul(r.value));
        let expected = good;
        if (keyed) {
          // Table mode: the latest record per key, also when one batch holds the key several times.
          const latest = new Map<unknown, StreamRecord>();
          for (const r of good) latest.set((r.value as { k: number }).k, r);
          expected = [...latest.values()].sort((a, b) => (a.value as { k: number }).k - (b.value as { k: number }).k);
        }
        // The replayed batch is found stored, its NUL records with it: none is refused (dead-lettered) twice.
        for (const path of Object.keys(PATHS)) {
          assert.deepEqual(refused[path], bad, `${path}: exactly the NUL records refused, once`);
          assert.deepEqual(tables[path], expected.map(expectedRow), `${path}: the rows the records say`);
        }
      },
    ),
    { numRuns: 25 },
  );
});

test('postgres: a batch above the COPY threshold stages through COPY, and a role without TEMPORARY still writes it', async (t) => {
  const url = await testDatabase(t);
  if (!url) return;
  const n = copyThreshold.rows + 7;
  // A few keys twice: the batch stays above the threshold once table mode keeps the latest per key.
  const records = Array.from(
    { length: n },
    (_, i): StreamRecord => ({
      topic: 't',
      partition: 0,
      offset: i,
      key: null,
      value: { k: i % (n - 5), s: `line ${i}\n\ttab \\ back`, r: i / 7, b: i % 3 === 0, j: { i }, u: null },
      timestamp: i,
      headers: {},
    }),
  );
  const db = new URL(url).pathname.slice(1);
  const role = `runnel_notemp_${process.pid}_${Date.now() % 100000}`;
  await admin((c) => c.query(`CREATE ROLE ${role} LOGIN`));
  t.after(() => admin((c) => c.query(`DROP ROLE IF EXISTS ${role}`)));
  await rows(url, `REVOKE TEMPORARY ON DATABASE ${db} FROM PUBLIC`);
  await rows(url, `GRANT CREATE ON SCHEMA public TO ${role}`);
  const stagingTables = async () =>
    Number(
      (await rows<{ n: string }>(url, `SELECT count(*) AS n FROM pg_class WHERE relname LIKE 'runnel_stage_%'`))[0]!.n,
    );
  // The role without TEMPORARY first: it then owns runnel_offsets, which the superuser may write too.
  for (const [table, who, stages] of [
    ['unstaged', Object.assign(new URL(url), { username: role }).toString(), 0],
    ['staged', url, 1],
  ] as const) {
    const sink = createSink('postgres', { url: who, table, columns: COLUMNS, key: 'k' });
    await sink.open(ctx());
    // Staged, not straight into the table (which a fresh table's batch would be): this test is about staging.
    const result = await along({ rows: copyThreshold.rows, direct: false }, () =>
      sink.write(records, [{ topic: 't', partition: 0, offset: n }]),
    );
    assert.deepEqual(result?.rejected, []);
    // pg_class lists every session's temporary tables: the staging table is there while the sink is open.
    assert.equal(await stagingTables(), stages, `${table}: staging tables while open`);
    await sink.close();
    assert.equal(await stagingTables(), 0, `${table}: no staging table outlives its connection`);
    const latest = new Map<number, StreamRecord>();
    for (const r of records) latest.set((r.value as { k: number }).k, r);
    assert.deepEqual(
      await rows(url, select(table, 'k')),
      [...latest.values()].map(expectedRow),
      `${table}: the latest record per key`,
    );
  }
});

test('postgres: fresh rows are copied straight into the table; a batch meeting stored rows is staged, and direct tries pause 1, 2, 4 … batches after (property)', async (t) => {
  const url = await testDatabase(t);
  if (!url) return;
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 14 }), async (overlaps) => {
      const table = `pause_${run++}`;
      const sink = createSink('postgres', { url, table, columns: COLUMNS, key: 'k' });
      await sink.open(ctx());
      // The documented rule, as a model: a conflict doubles the pause (1 to 64), a direct success clears it.
      const model = { direct: 0, staged: 0, conflicts: 0, left: 0, last: 0 };
      const before = { ...copyCounts };
      const latest = new Map<number, StreamRecord>();
      let offset = 0;
      let fresh = 1000;
      for (const overlap of overlaps) {
        // Twenty new keys; an overlapping batch also updates one key stored earlier.
        const keys = Array.from({ length: 20 }, () => fresh++);
        const meets = overlap && latest.size > 0;
        if (meets) keys[7] = [...latest.keys()][offset % latest.size]!;
        const batch = keys.map(
          (k): StreamRecord => ({
            topic: 't',
            partition: 0,
            offset: offset++,
            key: null,
            value: { k, s: `row ${offset}`, r: null, b: null, j: null, u: null },
            timestamp: offset,
            headers: {},
          }),
        );
        await writeAll(sink, [batch], PATHS.direct!);
        for (const r of batch) latest.set((r.value as { k: number }).k, r);
        if (model.left > 0) {
          model.left--;
          model.staged++;
        } else if (meets) {
          model.conflicts++;
          model.staged++;
          model.last = Math.min(64, model.last * 2 || 1);
          model.left = model.last;
        } else {
          model.direct++;
          model.last = 0;
        }
      }
      await sink.close();
      const counted = {
        direct: copyCounts.direct - before.direct,
        staged: copyCounts.staged - before.staged,
        conflicts: copyCounts.conflicts - before.conflicts,
      };
      assert.deepEqual(counted, { direct: model.direct, staged: model.staged, conflicts: model.conflicts });
      const expected = [...latest.values()].sort((a, b) => (a.value as { k: number }).k - (b.value as { k: number }).k);
      assert.deepEqual(await rows(url, select(table, 'k')), expected.map(expectedRow), 'the latest record per key');
    }),
    { numRuns: 15 },
  );
});

test('postgres: a target COPY cannot go straight into (a view, row-level security, no unique key) ends as the INSERT path leaves it', async (t) => {
  const url = await testDatabase(t);
  if (!url) return;
  const columns: Column[] = [
    { name: 'k', type: 'integer' },
    { name: 's', type: 'text' },
  ];
  const meta = '_topic TEXT, _partition INTEGER, _offset BIGINT, _key TEXT, _timestamp BIGINT';
  // Each target made by hand, as a user who prepares the table (or a view over it) would.
  const targets: Record<string, (name: string) => string[]> = {
    view: (n) => [
      `CREATE TABLE ${n}_base (k BIGINT PRIMARY KEY, s TEXT, ${meta})`,
      `CREATE VIEW ${n} AS SELECT * FROM ${n}_base`,
    ],
    rls: (n) => [
      `CREATE TABLE ${n} (k BIGINT PRIMARY KEY, s TEXT, ${meta})`,
      `ALTER TABLE ${n} ENABLE ROW LEVEL SECURITY`,
      `ALTER TABLE ${n} FORCE ROW LEVEL SECURITY`,
      `CREATE POLICY everything ON ${n} USING (true) WITH CHECK (true)`,
    ],
    nokey: (n) => [`CREATE TABLE ${n} (k BIGINT, s TEXT, ${meta})`],
  };
  const batch = (from: number, n: number, text: string) =>
    Array.from(
      { length: n },
      (_, i): StreamRecord => ({
        topic: 't',
        partition: 0,
        offset: from + i,
        key: null,
        value: { k: i, s: `${text} ${i}` },
        timestamp: 0,
        headers: {},
      }),
    );
  // A batch, then the same keys again (an update), each large enough for COPY.
  const batches = [batch(0, 1600, 'first'), batch(1600, 1600, 'second')];
  const outcome = async (table: string, path: Path) => {
    const sink = createSink('postgres', { url, table, columns, key: 'k' });
    await sink.open(ctx());
    try {
      await writeAll(sink, batches, path);
      return { rows: await rows(url, `SELECT k, s FROM ${table} ORDER BY k, s`) };
    } catch (err) {
      return { error: (err as { code?: string }).code };
    } finally {
      await sink.close();
    }
  };
  for (const [kind, ddl] of Object.entries(targets)) {
    for (const statement of [...ddl(`${kind}_insert`), ...ddl(`${kind}_copy`)]) await rows(url, statement);
    const expected = await outcome(`${kind}_insert`, PATHS.unnest!);
    const direct = copyCounts.direct;
    const got = await outcome(`${kind}_copy`, PATHS.direct!);
    assert.deepEqual(got, expected, `${kind}: as INSERT leaves it`);
    assert.equal(copyCounts.direct, direct, `${kind}: no COPY went straight in`);
  }
});
