/**
 * `runnel sql` over a data folder made here: a DuckDB file, a SQLite file and JSONL files with seeded
 * random rows. Legitimate queries are checked against the same numbers computed in JS; hostile ones must
 * be refused with a typed code, read no file outside the folder (a canary's content never shows) and
 * write none anywhere (the folder and the canary's folder are unchanged, byte for byte).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { recordsOn } from '../../test/helpers/records.ts';
import { DuckdbSink } from '../connectors/sinks/duckdb/duckdb.ts';
import { checkpointLines, JsonlSink } from '../connectors/sinks/jsonl/jsonl.ts';
import { ErrorCodes, isRunnelError } from '../core/errors.ts';
import { findOutputs } from './outputs.ts';
import { attachAndLock, runSql } from './session.ts';

const N = 500;
const COUNTRIES = ['AU', 'BR', 'DE', 'FR', 'IN', 'US'];
const SENSORS = ['grill', 'probe-1', 'probe-2'];
const KINDS = ['click', 'view', 'buy'];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const r = rng(7);
const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
const people = Array.from({ length: N }, (_, i) => ({
  id: i + 1,
  name: `p${i}`,
  country: pick(COUNTRIES),
  age: 18 + Math.floor(r() * 60),
}));
const readings = Array.from({ length: 300 }, (_, i) => ({ id: i + 1, sensor: pick(SENSORS), temp: 50 + r() * 200 }));
const events = Array.from({ length: 200 }, () => ({
  kind: pick(KINDS),
  n: 1 + Math.floor(r() * 9),
  user: 1 + Math.floor(r() * N),
}));

const root = mkdtempSync(join(tmpdir(), 'runnel-sql-'));
const data = join(root, 'data');
const outside = join(root, 'outside');
const CANARY = 'CANARY_7f3a9e_NEVER_SHOWN';
const canary = join(outside, 'secret.csv');

/** Every file under a folder with a hash of its bytes: "nothing was written" is this map unchanged. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    const st = statSync(path, { throwIfNoEntry: false });
    if (st?.isFile()) out.set(name, createHash('sha256').update(readFileSync(path)).digest('hex'));
    else out.set(name, 'dir');
  }
  return out;
}

before(async () => {
  mkdirSync(data, { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(canary, `secret\n${CANARY}\n`);
  writeFileSync(join(outside, 'secret.jsonl'), `${JSON.stringify({ secret: CANARY })}\n`);
  const instance = await DuckDBInstance.create(join(data, 'demo.duckdb'));
  const conn = await instance.connect();
  await conn.run('CREATE TABLE people (id BIGINT PRIMARY KEY, name VARCHAR, country VARCHAR, age INTEGER)');
  const appender = await conn.createAppender('people');
  for (const p of people) {
    appender.appendBigInt(BigInt(p.id));
    appender.appendVarchar(p.name);
    appender.appendVarchar(p.country);
    appender.appendInteger(p.age);
    appender.endRow();
  }
  appender.closeSync();
  conn.closeSync();
  instance.closeSync();
  const db = new DatabaseSync(join(data, 'demo.sqlite'));
  db.exec('CREATE TABLE readings (id INTEGER PRIMARY KEY, sensor TEXT, temp REAL)');
  const insert = db.prepare('INSERT INTO readings VALUES (?, ?, ?)');
  for (const x of readings) insert.run(x.id, x.sensor, x.temp);
  db.close();
  writeFileSync(join(data, 'demo.events.jsonl'), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  // One written by the jsonl sink, as a pipeline writes it: its checkpoint counts its lines.
  const sink = new JsonlSink({ path: join(data, 'demo.sunk.jsonl'), fsync: false });
  await sink.open();
  const sunkRecord = recordsOn('demo.sunk');
  const sunk = events.slice(0, 37).map((value) => sunkRecord(value));
  await sink.write(sunk, [{ topic: 'demo.sunk', partition: 0, offset: sunk.length }]);
  await sink.close();
  // A symlink in the data folder to a file outside it: never exposed.
  symlinkSync(join(outside, 'secret.jsonl'), join(data, 'leak.jsonl'));
});

const run = (sql: string, o: { maxRows?: number; timeoutMs?: number; app?: string } = {}) =>
  runSql(sql, { dataDir: data, app: 'demo', ...o });

function countBy<T>(xs: T[], key: (x: T) => string, value: (x: T) => number = () => 1): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + value(x));
  return m;
}

describe('legitimate queries answer as the same computation in JS', () => {
  test('DuckDB table: people by country, unqualified and qualified', async () => {
    const expected = [...countBy(people, (p) => p.country)].sort(([a], [b]) => a.localeCompare(b));
    for (const table of ['people', 'demo.people', 'demo.main.people']) {
      const res = await run(`SELECT country, count(*) AS n FROM ${table} GROUP BY country ORDER BY country`);
      assert.deepEqual(res.columns, [
        { name: 'country', type: 'VARCHAR' },
        { name: 'n', type: 'BIGINT' },
      ]);
      assert.deepEqual(res.rows, expected);
      assert.equal(res.truncated, false);
    }
  });

  test('SQLite table: count and mean temperature per sensor', async () => {
    const res = await run('SELECT sensor, count(*), avg(temp) FROM demo_sqlite.readings GROUP BY 1 ORDER BY 1');
    const counts = countBy(readings, (x) => x.sensor);
    const sums = countBy(
      readings,
      (x) => x.sensor,
      (x) => x.temp,
    );
    assert.deepEqual(
      res.rows.map((row) => row.slice(0, 2)),
      [...counts].sort(([a], [b]) => a.localeCompare(b)),
    );
    for (const row of res.rows) {
      const [sensor, n, mean] = row as [string, number, number];
      assert.ok(Math.abs(mean - sums.get(sensor)! / n) < 1e-9, `${sensor}: ${mean}`);
    }
    // Unqualified, it is found too: the DuckDB file has no table of that name.
    assert.deepEqual((await run('SELECT count(*) FROM readings')).rows, [[readings.length]]);
  });

  test('JSONL view named after its topic, joined with the DuckDB table', async () => {
    const res = await run(
      `SELECT p.country, sum(e.n) AS total FROM jsonl."demo.events" e JOIN people p ON p.id = e.user
       GROUP BY 1 ORDER BY 1`,
    );
    const country = new Map(people.map((p) => [p.id, p.country]));
    const expected = [
      ...countBy(
        events,
        (e) => country.get(e.user)!,
        (e) => e.n,
      ),
    ].sort(([a], [b]) => a.localeCompare(b));
    assert.deepEqual(res.rows, expected);
  });

  test('a hostile-looking string stays data: it is returned, and the table is untouched', async () => {
    const text = "'; DROP TABLE people; --";
    const res = await run(`SELECT '${text.replaceAll("'", "''")}' AS s, (SELECT count(*) FROM people) AS n`);
    assert.deepEqual(res.rows, [[text, N]]);
    assert.deepEqual((await run('SELECT count(*) FROM people')).rows, [[N]]);
  });

  test('EXPLAIN, DESCRIBE, SHOW, SUMMARIZE and WITH run', async () => {
    assert.ok((await run('EXPLAIN SELECT * FROM people')).rows.length > 0);
    const described = await run('DESCRIBE people');
    assert.deepEqual(
      described.rows.map((row) => row[0]),
      ['id', 'name', 'country', 'age'],
    );
    const tables = await run('SHOW ALL TABLES');
    const names = tables.rows.map((row) => `${row[0]}.${row[2]}`);
    assert.ok(names.includes('demo.people') && names.includes('jsonl.demo.events'), names.join(', '));
    assert.ok(!names.some((n) => n.includes('leak')), 'a symlink out of the folder is no view');
    const summary = await run('SUMMARIZE people');
    assert.equal(summary.rows.find((row) => row[0] === 'age')?.[10], N);
    const ages = await run('WITH a AS (SELECT age FROM people WHERE age >= 40) SELECT count(*) FROM a');
    assert.deepEqual(ages.rows, [[people.filter((p) => p.age >= 40).length]]);
  });

  test('runnel.tables lists every table a query can name, SQLite ones (copied only when named) too, with rows', async () => {
    const res = await run('SELECT name, kind, rows FROM runnel.tables ORDER BY name');
    const got = new Map(res.rows.map(([name, kind, rows]) => [name as string, { kind, rows }]));
    // Against the folder itself: the SQLite file's tables and counts read here, the JSONL files listed.
    const db = new DatabaseSync(join(data, 'demo.sqlite'), { readOnly: true });
    const sqliteTables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as Array<{ name: string }>;
    for (const { name } of sqliteTables) {
      const n = (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n;
      assert.deepEqual(got.get(`demo_sqlite.${name}`), { kind: 'sqlite', rows: n }, name);
    }
    db.close();
    assert.deepEqual(got.get('demo.people'), { kind: 'duckdb', rows: N });
    // Not the symlink out of the folder: it is no view, so no name to list.
    const jsonl = readdirSync(data).filter((f) => f.endsWith('.jsonl') && !lstatSync(join(data, f)).isSymbolicLink());
    assert.ok(jsonl.length > 0);
    for (const f of jsonl) {
      const topic = f.slice(0, -'.jsonl'.length);
      const name = /^[a-z_][a-z0-9_]*$/i.test(topic) ? topic : `"${topic}"`;
      assert.equal(got.get(`jsonl.${name}`)?.kind, 'jsonl', f);
      // Its rows as its sink's checkpoint counts them; a file no sink wrote has no count to give.
      const counted = checkpointLines(join(data, f));
      assert.equal(got.get(`jsonl.${name}`)?.rows, counted ?? null, f);
      if (counted !== undefined) assert.equal(counted, readFileSync(join(data, f), 'utf8').split('\n').length - 1, f);
    }
    assert.equal(got.get('jsonl."demo.sunk"')?.rows, 37, 'the sink-written file has its rows');
    // Every name as listed can be queried as it is written.
    for (const name of got.keys()) assert.ok((await run(`SELECT count(*) FROM ${name}`)).rows.length === 1, name);
  });

  test('without --app every app is there by its name', async () => {
    const res = await runSql('SELECT count(*) FROM demo.people', { dataDir: data });
    assert.deepEqual(res.rows, [[N]]);
  });

  test('row limit: the first rows, and the result says it was cut', async () => {
    const cut = await run('SELECT id FROM people ORDER BY id', { maxRows: 7 });
    assert.deepEqual(
      cut.rows,
      people.slice(0, 7).map((p) => [p.id]),
    );
    assert.equal(cut.truncated, true);
    const whole = await run('SELECT id FROM people', { maxRows: N });
    assert.equal(whole.rows.length, N);
    assert.equal(whole.truncated, false);
  });

  test('time limit: a cross join of a trillion rows is interrupted', async () => {
    await assert.rejects(
      run('SELECT count(*) FROM range(1000000) a, range(1000000) b', { timeoutMs: 300 }),
      (err) => isRunnelError(err) && err.code === ErrorCodes.SQL_TIMEOUT,
    );
  });

  test('an unknown table or a syntax error is SQL_INVALID, and names the tables there are', async () => {
    await assert.rejects(
      run('SELECT * FROM nosuch'),
      (err) => isRunnelError(err) && err.code === ErrorCodes.SQL_INVALID && /demo\.people/.test(err.message),
    );
    await assert.rejects(run('SELEC 1'), (err) => isRunnelError(err) && err.code === ErrorCodes.SQL_INVALID);
    // A slip of the fingers gets the tables like the name, not the whole list.
    await assert.rejects(
      run('SELECT * FROM peopel'),
      (err) =>
        isRunnelError(err) && /like it: [^;]*\bdemo\.people\b/.test(err.message) && !/readings/.test(err.message),
    );
  });

  test('a DuckDB file a sink of this process holds is not opened; its SQLite twin answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runnel-sql-held-'));
    const db = new DatabaseSync(join(dir, 'held.sqlite'));
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    for (let i = 0; i < 10; i++) db.prepare('INSERT INTO t (v) VALUES (?)').run(`v${i}`);
    db.close();
    const sink = new DuckdbSink({ path: join(dir, 'held.duckdb'), table: 't' });
    await sink.open();
    try {
      const res = await runSql('SELECT count(*) FROM t', { dataDir: dir, app: 'held' });
      assert.deepEqual(res.rows, [[10]]);
      assert.match(res.notes.join(' '), /being written by a pipeline in this process/);
      // A query of the SQLite copy by name reads nothing of the DuckDB file: no note about it.
      const twin = await runSql('SELECT count(*) FROM held_sqlite.t', { dataDir: dir, app: 'held' });
      assert.deepEqual(twin.rows, [[10]]);
      assert.doesNotMatch(twin.notes.join(' '), /held\.duckdb|being written/);
      // Named as the DuckDB table it is, the error names the copy to query, in one short line.
      await assert.rejects(
        runSql('SELECT count(*) FROM held.t', { dataDir: dir, app: 'held' }),
        (err: Error) =>
          isRunnelError(err) &&
          err.code === ErrorCodes.SQL_INVALID &&
          /held's SQLite copy has it: held_sqlite\.t\)/.test(err.message),
      );
    } finally {
      await sink.close();
    }
  });
});

describe('hostile queries are refused, and read or write nothing', () => {
  const inData = join(data, 'written.csv');
  const written = join(outside, 'written.csv');
  /** [query, code]: every one must fail with that code. */
  const cases: Array<[string, string]> = [
    ['SELECT 1; DROP TABLE people', ErrorCodes.SQL_REFUSED],
    ["SELECT * FROM people; ATTACH 'x.db'", ErrorCodes.SQL_REFUSED],
    ['DROP TABLE people', ErrorCodes.SQL_REFUSED],
    ['DELETE FROM people', ErrorCodes.SQL_REFUSED],
    ["INSERT INTO people VALUES (0, 'x', 'x', 1)", ErrorCodes.SQL_REFUSED],
    ['UPDATE people SET age = 0', ErrorCodes.SQL_REFUSED],
    ['CREATE TABLE x AS SELECT 1', ErrorCodes.SQL_REFUSED],
    ['CREATE VIEW v AS SELECT 1', ErrorCodes.SQL_REFUSED],
    [`ATTACH '${join(outside, 'x.duckdb')}' AS x`, ErrorCodes.SQL_REFUSED],
    ['DETACH demo', ErrorCodes.SQL_REFUSED],
    [`COPY people TO '${written}'`, ErrorCodes.SQL_REFUSED],
    [`COPY (SELECT * FROM people) TO '${inData}'`, ErrorCodes.SQL_REFUSED],
    [`EXPORT DATABASE '${join(outside, 'export')}'`, ErrorCodes.SQL_REFUSED],
    ['INSTALL sqlite', ErrorCodes.SQL_REFUSED],
    ['LOAD sqlite', ErrorCodes.SQL_REFUSED],
    ['PRAGMA version', ErrorCodes.SQL_REFUSED],
    ["PRAGMA enable_profiling = 'json'", ErrorCodes.SQL_REFUSED],
    ['SET enable_external_access = true', ErrorCodes.SQL_REFUSED],
    ['RESET enable_external_access', ErrorCodes.SQL_REFUSED],
    ['CHECKPOINT', ErrorCodes.SQL_REFUSED],
    ['CALL enable_logging()', ErrorCodes.SQL_REFUSED],
    ['BEGIN TRANSACTION', ErrorCodes.SQL_REFUSED],
    ['USE demo', ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM read_csv('${canary}')`, ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM READ_CSV_AUTO('${canary}')`, ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM read_csv(['${canary}'])`, ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM read_json('${join(outside, 'secret.jsonl')}')`, ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM read_json_auto('${join(outside, 'secret.jsonl')}')`, ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM read_ndjson_objects('${join(outside, 'secret.jsonl')}')`, ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM read_parquet('${canary}')`, ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM read_text('${canary}')`, ErrorCodes.SQL_REFUSED],
    ["SELECT * FROM read_text('/etc/passwd')", ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM read_blob('${canary}')`, ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM glob('${outside}/*')`, ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM sqlite_scan('${join(outside, 'x.db')}', 't')`, ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM main.read_csv('${canary}')`, ErrorCodes.SQL_REFUSED],
    ["SELECT * FROM query('SELECT 1')", ErrorCodes.SQL_REFUSED],
    ["SELECT * FROM query_table('people')", ErrorCodes.SQL_REFUSED],
    ['SELECT * FROM checkpoint()', ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM '${canary}'`, ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM "${canary}"`, ErrorCodes.SQL_REFUSED],
    ["SELECT * FROM '/etc/passwd'", ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM '${data}/../outside/secret.csv'`, ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM 'secret.csv'`, ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM people WHERE name IN (SELECT content FROM read_text('${canary}'))`, ErrorCodes.SQL_REFUSED],
    [`WITH x AS (SELECT * FROM read_csv('${canary}')) SELECT * FROM x`, ErrorCodes.SQL_REFUSED],
    [`SELECT * FROM people, LATERAL read_csv('${canary}')`, ErrorCodes.SQL_REFUSED],
    [`EXPLAIN SELECT * FROM read_csv('${canary}')`, ErrorCodes.SQL_REFUSED],
    [`EXPLAIN ANALYZE COPY people TO '${written}'`, ErrorCodes.SQL_REFUSED],
    [`DESCRIBE SELECT * FROM read_text('${canary}')`, ErrorCodes.SQL_REFUSED],
    [`SUMMARIZE SELECT * FROM read_text('${canary}')`, ErrorCodes.SQL_REFUSED],
    ["SELECT nextval('s')", ErrorCodes.SQL_REFUSED],
    ["SELECT getenv('HOME')", ErrorCodes.SQL_REFUSED],
    [`SELECT read_text('${canary}')`, ErrorCodes.SQL_REFUSED],
    ["SELECT glob('/etc/*')", ErrorCodes.SQL_REFUSED],
    ['SELECT * FROM leak', ErrorCodes.SQL_INVALID],
    ['SELECT * FROM jsonl.leak', ErrorCodes.SQL_INVALID],
  ];

  test('each is refused with its code; no canary read, no file written', async () => {
    const beforeData = snapshot(data);
    const beforeOutside = snapshot(outside);
    const beforeCwd = new Set(readdirSync(process.cwd()));
    for (const [sql, code] of cases) {
      await assert.rejects(
        run(sql),
        (err) => {
          assert.ok(isRunnelError(err), `${sql}: ${String(err)}`);
          assert.equal(err.code, code, `${sql}: ${err.message}`);
          assert.ok(!err.message.includes(CANARY), `${sql} leaked the canary: ${err.message}`);
          assert.ok(!err.message.includes('\n'), `${sql}: one line`);
          return true;
        },
        sql,
      );
    }
    assert.deepEqual(snapshot(data), beforeData, 'the data folder is unchanged');
    assert.deepEqual(snapshot(outside), beforeOutside, 'nothing written outside it');
    assert.deepEqual(
      readdirSync(process.cwd()).filter((f) => !beforeCwd.has(f)),
      [],
      'nothing written in the working directory (no .tmp spill)',
    );
  });
});

describe("DuckDB's own guards hold without the parser check", () => {
  test('after setup no file outside the folder is read or written, and settings are locked', async () => {
    const beforeOutside = snapshot(outside);
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      await attachAndLock(conn, findOutputs(data, 'demo'), []);
      const attempts = [
        `SELECT * FROM read_csv('${canary}')`,
        `SELECT * FROM read_text('${data}/../outside/secret.csv')`,
        `COPY (SELECT 1) TO '${join(outside, 'written.csv')}'`,
        `ATTACH '${join(outside, 'new.duckdb')}' AS x`,
        'SET enable_external_access = true',
        "SET allowed_directories = ['/']",
        'INSTALL sqlite',
      ];
      for (const sql of attempts) {
        await assert.rejects(
          conn.run(sql),
          (err: Error) => {
            assert.ok(!err.message.includes(CANARY), sql);
            return /Permission Error|configuration has been locked|disabled/i.test(err.message);
          },
          sql,
        );
      }
      // The DuckDB file itself is read-only.
      await assert.rejects(conn.run('DELETE FROM demo.people'), /read-only/i);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
    assert.deepEqual(snapshot(outside), beforeOutside);
  });
});

test('--app naming no app of the folder (a pipeline file, a typo): the missing table says what --app takes and the apps there', async () => {
  for (const app of ['./my-pipeline.ts', 'demoo']) {
    await assert.rejects(
      run('SELECT count(*) FROM people', { app }),
      (err: Error) =>
        /no table or view "people"/.test(err.message) &&
        err.message.includes(`no ${app}.duckdb or ${app}.sqlite`) &&
        /--app takes an app's name, as its files are named: demo/.test(err.message),
    );
  }
  // The right name finds the table.
  assert.equal((await run('SELECT count(*) FROM people', { app: 'demo' })).rows.length, 1);
});
