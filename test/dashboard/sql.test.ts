/**
 * `POST /api/sql`, the SQL page's endpoint: the Host, Origin, Sec-Fetch-Site and token checks of every
 * route, a JSON body only, read-only queries within the page's row limit, refusals as typed codes, and no
 * file read or written outside the data folder.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ErrorCodes } from '../../src/core/errors.ts';
import { createDashboard } from '../../src/server/index.ts';
import { PAGE_MAX_ROWS } from '../../src/server/sql.ts';
import { buzzApp, smokerApp, tempBroker } from './fixtures.ts';

const apps = [buzzApp, smokerApp];
const { broker, dir } = await tempBroker();
after(() => broker.close());
const dataDir = join(dir, 'data');
mkdirSync(dataDir);
const AUTHORS = ['Alice', 'Bob', 'Charlie', 'Eve'];
const messages = Array.from({ length: 120 }, (_, i) => ({ author: AUTHORS[(i * 7) % 4], n: i }));
writeFileSync(join(dataDir, 'buzz.jsonl'), messages.map((m) => `${JSON.stringify(m)}\n`).join(''));
const secret = join(dir, 'secret.csv');
writeFileSync(secret, 'CANARY_SQL_PAGE\n');

const HOST = { host: 'localhost:8080' };
const post = (
  d: ReturnType<typeof createDashboard>,
  body: unknown,
  headers: Record<string, string> = {},
  url = '/api/sql',
) =>
  d.app.inject({
    method: 'POST',
    url,
    headers: { ...HOST, 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('POST /api/sql on loopback', () => {
  const d = createDashboard({ broker, apps, port: 8080, dataDir });
  after(() => d.stop());

  test('answers a query: messages per author, as counted here', async () => {
    const res = await post(d, { query: 'SELECT author, count(*) AS n FROM jsonl.buzz GROUP BY 1 ORDER BY 1' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as { columns: Array<{ name: string }>; rows: unknown[][]; truncated: boolean };
    const expected = AUTHORS.map((a) => [a, messages.filter((m) => m.author === a).length]);
    assert.deepEqual(body.rows, expected);
    assert.deepEqual(
      body.columns.map((c) => c.name),
      ['author', 'n'],
    );
    assert.equal(body.truncated, false);
  });

  test('the row limit holds: at most PAGE_MAX_ROWS rows, marked as cut', async () => {
    const res = await post(d, { query: `SELECT * FROM range(${PAGE_MAX_ROWS * 3})` });
    const body = res.json() as { rows: unknown[][]; truncated: boolean };
    assert.equal(body.rows.length, PAGE_MAX_ROWS);
    assert.equal(body.truncated, true);
  });

  test('hostile queries: 400 with the typed code, and nothing written or leaked', async () => {
    const target = join(dir, 'written.csv');
    for (const query of [
      'SELECT 1; DROP TABLE x',
      `COPY (SELECT 1) TO '${target}'`,
      `ATTACH '${join(dir, 'x.duckdb')}' AS x`,
      `SELECT * FROM read_csv('${secret}')`,
      `SELECT * FROM '${secret}'`,
      'SET enable_external_access = true',
      'INSTALL sqlite',
    ]) {
      const res = await post(d, { query });
      assert.equal(res.statusCode, 400, query);
      assert.equal((res.json() as { code: string }).code, ErrorCodes.SQL_REFUSED, query);
      assert.doesNotMatch(res.body, /CANARY_SQL_PAGE/);
    }
    assert.equal(existsSync(target), false);
    assert.equal(existsSync(join(dir, 'x.duckdb')), false);
  });

  test('a body that is not the JSON asked for is refused before any query runs', async () => {
    assert.equal((await post(d, 'query=SELECT 1', { 'content-type': 'text/plain' })).statusCode, 415);
    assert.equal(
      (await post(d, 'query=SELECT+1', { 'content-type': 'application/x-www-form-urlencoded' })).statusCode,
      415,
    );
    assert.equal((await post(d, { sql: 'SELECT 1' })).statusCode, 400, 'no query field');
    assert.equal((await post(d, { query: 'SELECT 1', app: '../etc' })).statusCode, 400, 'app is a name');
    assert.equal((await post(d, { query: 'x'.repeat(9000) })).statusCode, 400, 'too long');
    assert.equal((await d.app.inject({ method: 'GET', url: '/api/sql', headers: HOST })).statusCode, 404);
  });

  test('Host, Origin and Sec-Fetch-Site are checked as on every route', async () => {
    const q = { query: 'SELECT 1' };
    assert.equal((await post(d, q, { host: 'evil.example:8080' })).statusCode, 403, 'DNS rebinding');
    assert.equal((await post(d, q, { origin: 'http://evil.example' })).statusCode, 403, 'foreign origin');
    assert.equal((await post(d, q, { 'sec-fetch-site': 'cross-site' })).statusCode, 403, 'cross-site');
    assert.equal((await post(d, q, { origin: 'http://localhost:8080' })).statusCode, 200, 'our own page');
  });
});

describe('POST /api/sql off loopback needs the token', () => {
  const d = createDashboard({ broker, apps, host: '0.0.0.0', port: 8080, dataDir });
  after(() => d.stop());
  const host = { host: '127.0.0.1:8080' };

  test('401 without it or with a wrong one; 200 with it', async () => {
    const q = { query: 'SELECT count(*) FROM jsonl.buzz' };
    assert.equal((await post(d, q, host)).statusCode, 401);
    assert.equal((await post(d, q, { ...host, authorization: 'Bearer wrong' })).statusCode, 401);
    const ok = await post(d, q, { ...host, authorization: `Bearer ${d.token}` });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual((ok.json() as { rows: unknown[][] }).rows, [[messages.length]]);
  });
});
