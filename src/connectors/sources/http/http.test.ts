/**
 * The http source against a real HTTP server on 127.0.0.1 (port 0), answering as randomuser and Oura's v2
 * API do: pages by seed, a cursor, 429/503 with Retry-After, 5xx, slow answers, 401 and broken bodies.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { LocalBroker } from '../../../brokers/local/local-broker.ts';
import type { Source, SourceItem } from '../../../core/connector.ts';
import { createSource } from '../../../core/connector-registry.ts';
import { ErrorCodes, formatError, isRunnelError } from '../../../core/errors.ts';
import type { Logger } from '../../../core/log.ts';
import { runSource } from '../../../core/runners/source-runner.ts';
import { StatusCell } from '../../../core/status-cell.ts';
import '../index.ts';
import { retryAfterMs } from './http.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, n: number) => void;

interface TestServer {
  url: string;
  /** Every request, in order, with when it arrived (performance.now()). */
  requests: Array<{ url: URL; at: number; headers: IncomingMessage['headers'] }>;
  close(): Promise<void>;
}

async function serve(handler: Handler): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ url, at: performance.now(), headers: req.headers });
    handler(req, res, url, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, body: unknown, status = 200, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** randomuser's answer for (seed, page, results): the same every time, as the real API's is. */
function users(seed: string, page: number, results: number): Array<{ login: { uuid: string }; n: number }> {
  return Array.from({ length: results }, (_, i) => ({
    login: { uuid: `${seed}-${page}-${i}` },
    n: (page - 1) * results + i,
  }));
}

const randomuser: Handler = (_req, res, url) => {
  const seed = url.searchParams.get('seed') ?? 'none';
  const page = Number(url.searchParams.get('page') ?? 1);
  const results = Number(url.searchParams.get('results') ?? 1);
  json(res, { results: users(seed, page, results), info: { seed, results, page, version: '1.4' } });
};

interface Logs extends Logger {
  lines: string[];
}
function logs(): Logs {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
    debug: () => {},
  };
}

/**
 * Pulls batches as the runtime does (committing each whole) until `enough` holds, the source ends, or
 * 5 s pass; then stops it.
 */
async function drive(
  source: Source,
  enough: (items: SourceItem[]) => boolean,
  log: Logger = logs(),
): Promise<SourceItem[]> {
  const stop = new AbortController();
  const items: SourceItem[] = [];
  const deadline = setTimeout(() => stop.abort(), 5000);
  try {
    for await (const batch of source.read({ signal: stop.signal, log, destination: { topic: 't', id: 'id-t' } })) {
      items.push(...batch);
      await source.committed?.(batch.length);
      if (enough(items)) break;
    }
  } finally {
    clearTimeout(deadline);
  }
  assert.ok(!stop.signal.aborted, `gave up after 5 s with ${items.length} items`);
  return items;
}

const values = (items: SourceItem[]) =>
  items.filter((i) => i.kind === 'record').map((i) => (i as Extract<SourceItem, { kind: 'record' }>).record.value);

test('cursor paging (Oura): next_token is sent back until absent; Bearer token, query, key and event time', async () => {
  // 25 days in pages of 10: the tokens are opaque, as Oura's are.
  const days = Array.from({ length: 25 }, (_, i) => ({
    id: `d${i}`,
    day: `2024-01-${String(i + 1).padStart(2, '0')}`,
    timestamp: `2024-01-${String(i + 1).padStart(2, '0')}T04:00:00+02:00`,
    total_calories: 2500 + i,
  }));
  const tokens = ['', 'tok-A', 'tok-B'];
  const server = await serve((req, res, url) => {
    if (req.headers.authorization !== 'Bearer s3cret') return json(res, { detail: 'unauthorized' }, 401);
    const at = tokens.indexOf(url.searchParams.get('next_token') ?? '');
    if (at < 0) return json(res, { detail: 'bad token' }, 400);
    json(res, { data: days.slice(at * 10, at * 10 + 10), next_token: tokens[at + 1] ?? null });
  });
  try {
    const source = createSource('http', {
      url: `${server.url}v2/usercollection/daily_activity`,
      query: { start_date: '2024-01-01', end_date: '2024-01-25' },
      headers: { Authorization: 'Bearer s3cret' },
      recordsPath: 'data',
      paging: { type: 'cursor' },
      key: 'day',
      timestampField: 'timestamp',
      interval: 0,
    });
    const items = await drive(source, () => false);
    assert.deepEqual(values(items), days, 'every day once, in order, then the source ends');
    const records = items.map((i) => (i as Extract<SourceItem, { kind: 'record' }>).record);
    assert.deepEqual(
      records.map((r) => r.key),
      days.map((d) => d.day),
    );
    assert.deepEqual(
      records.map((r) => r.timestamp),
      days.map((d) => Date.parse(d.timestamp)),
    );
    assert.deepEqual(
      server.requests.map((r) => r.url.searchParams.get('next_token')),
      [null, 'tok-A', 'tok-B'],
    );
    for (const r of server.requests) {
      assert.equal(r.url.pathname, '/api/v2/usercollection/daily_activity');
      assert.equal(r.url.searchParams.get('start_date'), '2024-01-01');
      assert.equal(r.url.searchParams.get('end_date'), '2024-01-25');
    }
  } finally {
    await server.close();
  }
});

test('page/seed paging (randomuser): one seed, pages 1, 2, 3 … across polls, spaced by the interval and the rate limit', async () => {
  const server = await serve(randomuser);
  try {
    // undici loads and connects lazily: the first fetch of a process reaches the server late.
    await (await fetch(server.url)).text();
    server.requests.length = 0;
    const started = performance.now();
    const source = createSource('http', {
      url: server.url,
      query: { results: 7, nat: 'fr' },
      recordsPath: 'results',
      paging: { type: 'page', seed: 'abc' },
      key: 'login.uuid',
      interval: 60,
      rateLimit: 10,
    });
    const items = await drive(source, (got) => got.length >= 28);
    const expected = [1, 2, 3, 4].flatMap((p) => users('abc', p, 7));
    assert.deepEqual(values(items), expected);
    assert.deepEqual(
      items.map((i) => (i as Extract<SourceItem, { kind: 'record' }>).record.key),
      expected.map((u) => u.login.uuid),
    );
    assert.deepEqual(
      server.requests.map((r) => [r.url.searchParams.get('seed'), r.url.searchParams.get('page')]),
      [
        ['abc', '1'],
        ['abc', '2'],
        ['abc', '3'],
        ['abc', '4'],
      ],
    );
    for (const r of server.requests) assert.equal(r.url.searchParams.get('results'), '7');
    // rateLimit 10/s is the tighter bound here (the interval alone would allow one every 60 ms): request k
    // leaves no sooner than k × 100 ms after the start. Measured from before the start, since a loaded
    // machine can only delay an arrival, never bring it forward.
    server.requests.forEach((r, k) => {
      assert.ok(
        r.at - started >= k * 100 - 2,
        `request ${k} arrived ${(r.at - started).toFixed(0)} ms after the start`,
      );
    });
  } finally {
    await server.close();
  }
});

for (const status of [503, 429]) {
  test(`${status} with Retry-After: waits that long (not much more), says so once, then gets the page`, async () => {
    const server = await serve((req, res, url, n) => {
      if (n === 1) {
        res.writeHead(status, { 'retry-after': '1', 'content-type': 'text/plain' });
        return res.end(status === 503 ? 'ease up' : 'too many requests');
      }
      randomuser(req, res, url, n);
    });
    try {
      const log = logs();
      const source = createSource('http', {
        url: server.url,
        query: { results: 3 },
        recordsPath: 'results',
        paging: { type: 'page', seed: 's' },
        interval: 0,
        backoff: { baseMs: 5, maxMs: 10 },
      });
      const items = await drive(source, (got) => got.length >= 3, log);
      assert.deepEqual(values(items), users('s', 1, 3), 'page 1 once, after the wait');
      const waited = server.requests[1]!.at - server.requests[0]!.at;
      assert.ok(waited >= 1000, `asked again after ${waited.toFixed(0)} ms, before Retry-After's 1 s`);
      assert.ok(waited < 1400, `asked again only after ${waited.toFixed(0)} ms`);
      const retrying = log.lines.filter((l) => l.includes('(retrying)'));
      assert.equal(retrying.length, 1, log.lines.join('\n'));
      assert.match(retrying[0]!, new RegExp(`HTTP ${status}.*waiting 1\\.0 s as Retry-After asks`));
      assert.ok(log.lines.some((l) => /recovered after 1 retry/.test(l)));
    } finally {
      await server.close();
    }
  });
}

test('Retry-After as seconds or as an HTTP date', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  assert.equal(retryAfterMs('7', now), 7000);
  assert.equal(retryAfterMs('Sun, 01 Jun 2025 12:00:30 GMT', now), 30_000);
  assert.equal(retryAfterMs('Sun, 01 Jun 2025 11:00:00 GMT', now), 0, 'a date gone by: at once');
  assert.equal(retryAfterMs('soon', now), undefined);
  assert.equal(retryAfterMs(null, now), undefined);
});

test('a timeout, then a 5xx streak: retried with backoff, one retrying line per streak, nothing lost or doubled', async () => {
  // Request 1 answers too late; 2 is fine; 3-5 are 500/502/504; 6 is fine.
  const server = await serve((req, res, url, n) => {
    if (n === 1) {
      setTimeout(() => randomuser(req, res, url, n), 400).unref();
      return;
    }
    if (n >= 3 && n <= 5) return json(res, { error: 'boom' }, [500, 502, 504][n - 3]!);
    randomuser(req, res, url, n);
  });
  try {
    const log = logs();
    const source = createSource('http', {
      url: server.url,
      query: { results: 4 },
      recordsPath: 'results',
      paging: { type: 'page', seed: 'x' },
      interval: 0,
      timeout: 100,
      backoff: { baseMs: 20, maxMs: 200 },
    });
    const items = await drive(source, (got) => got.length >= 8, log);
    assert.deepEqual(values(items), [...users('x', 1, 4), ...users('x', 2, 4)]);
    assert.deepEqual(
      server.requests.map((r) => r.url.searchParams.get('page')),
      ['1', '1', '2', '2', '2', '2'],
      'the failed request is made again, not the next page',
    );
    const retrying = log.lines.filter((l) => l.includes('(retrying)'));
    assert.equal(retrying.length, 2, `one line per streak:\n${log.lines.join('\n')}`);
    assert.match(retrying[0]!, /no answer within 100 ms \(retrying\)$/);
    assert.match(retrying[1]!, /HTTP 500 Internal Server Error \(retrying\)$/);
    assert.ok(log.lines.some((l) => /recovered after 3 retries/.test(l)));
    // Backoff grows: the gaps between the three 5xx retries are each at least the base's half-jittered floor.
    const gaps = [3, 4, 5].map((i) => server.requests[i]!.at - server.requests[i - 1]!.at);
    assert.ok(gaps[0]! >= 9 && gaps[1]! >= 19 && gaps[2]! >= 39, `gaps ${gaps.map((g) => g.toFixed(0))}`);
  } finally {
    await server.close();
  }
});

test('an API that never answers is said again at the 5th, 10th and 20th try, not only once', async () => {
  const server = await serve((_req, res) => json(res, { error: 'down' }, 503));
  try {
    const log = logs();
    const source = createSource('http', {
      url: server.url,
      recordsPath: 'results',
      interval: 0,
      backoff: { baseMs: 1, maxMs: 2 },
    });
    const stop = new AbortController();
    const reading = (async () => {
      for await (const _ of source.read({ signal: stop.signal, log, destination: { topic: 't' } })) break;
    })();
    const deadline = Date.now() + 10_000;
    while (server.requests.length < 25 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    stop.abort();
    await reading;
    const tries = server.requests.length;
    const said = log.lines.filter((l) => l.startsWith('warn: ') && l.includes('HTTP 503'));
    // Brute force: the first failure, then every try n = 5·2^k of the streak that was made.
    // The last try may have been in flight at the stop: only those before it surely failed.
    const expected = [1, ...[5, 10, 20, 40].filter((n) => n < tries)];
    assert.equal(said.length, expected.length, said.join('\n'));
    assert.match(said[0]!, /HTTP 503 Service Unavailable \(retrying\)$/);
    for (const [i, n] of expected.slice(1).entries())
      assert.match(
        said[i + 1]!,
        new RegExp(
          `still HTTP 503 Service Unavailable after ${n} tries in \\d+ s; retrying with backoff until it answers \\(check the URL; Ctrl-C stops\\)$`,
        ),
      );
  } finally {
    await server.close();
  }
});

test('empty answers at interval 0 are backed off, not asked for again at once; one line per streak, and records flow after', async () => {
  let empty = true;
  const server = await serve((_req, res) => json(res, { results: empty ? [] : [{ n: 1 }] }));
  try {
    const log = logs();
    const baseMs = 20;
    const source = createSource('http', {
      url: server.url,
      recordsPath: 'results',
      paging: { type: 'page', seed: 'e' },
      interval: 0,
      backoff: { baseMs, maxMs: 80 },
    });
    const stop = new AbortController();
    const got: SourceItem[] = [];
    const started = performance.now();
    setTimeout(() => (empty = false), 600).unref();
    for await (const batch of source.read({ signal: stop.signal, log, destination: { topic: 't' } })) {
      got.push(...batch);
      await source.committed?.(batch.length);
      if (got.length > 0) break;
    }
    const ran = performance.now() - started;
    // Every wait is at least half its backoff, and the backoff at least the base: no more requests than fit.
    const empties = server.requests.length - 1;
    assert.ok(empties <= 1 + ran / (baseMs / 2), `${empties} empty answers in ${ran.toFixed(0)} ms`);
    assert.ok(empties >= 2, `the page was asked for again (${empties})`);
    assert.equal(log.lines.filter((l) => l.includes('nothing new')).length, 1, log.lines.join('\n'));
    assert.ok(
      log.lines.some((l) => new RegExp(`new records after ${empties} answers with none`).test(l)),
      log.lines.join('\n'),
    );
    assert.deepEqual(values(got), [{ n: 1 }]);
  } finally {
    await server.close();
  }
});

test('401 fails fast in one line naming the URL, without the token or a secret query value', async () => {
  const server = await serve((_req, res) => json(res, { detail: 'token expired', echo: 'Bearer t0p-s3cret' }, 401));
  try {
    const source = createSource('http', {
      url: `${server.url}v2/usercollection/daily_activity`,
      query: { api_key: 'k3y-s3cret', start_date: '2024-01-01' },
      headers: { Authorization: 'Bearer t0p-s3cret' },
      recordsPath: 'data',
      paging: { type: 'cursor' },
    });
    const log = logs();
    const started = performance.now();
    let caught: unknown;
    try {
      await drive(source, () => false, log);
    } catch (err) {
      caught = err;
    }
    assert.ok(performance.now() - started < 1000, 'at once, not after retries');
    assert.ok(isRunnelError(caught), String(caught));
    assert.equal(caught.code, ErrorCodes.SOURCE_REFUSED);
    const line = formatError(caught);
    assert.equal(line.split('\n').length, 1);
    assert.ok(line.includes(`${server.url}v2/usercollection/daily_activity?api_key=***&start_date=2024-01-01`), line);
    assert.match(line, /HTTP 401 Unauthorized/);
    for (const text of [line, caught.message, String(caught.value), ...log.lines]) {
      assert.ok(!text.includes('s3cret'), `a secret leaked: ${text}`);
    }
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
  }
});

test('a malformed body becomes one dead letter with the URL and the reason; polling goes on and loses nothing', async () => {
  // Page 2 is first not JSON, then JSON without the records array, then right.
  const server = await serve((req, res, url, n) => {
    if (n === 2) {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<html>maintenance</html>');
    }
    if (n === 3) return json(res, { results: { oops: true } });
    randomuser(req, res, url, n);
  });
  try {
    const source = createSource('http', {
      url: server.url,
      query: { results: 5 },
      recordsPath: 'results',
      paging: { type: 'page', seed: 'm' },
      interval: 10,
    });
    const items = await drive(source, (got) => values(got).length >= 15);
    assert.deepEqual(
      values(items),
      [1, 2, 3].flatMap((p) => users('m', p, 5)),
    );
    const bad = items.filter((i) => i.kind === 'invalid');
    assert.equal(bad.length, 2);
    const page2 = `${server.url}?results=5&seed=m&page=2`;
    assert.equal(bad[0]!.position, page2);
    assert.equal(bad[0]!.error.code, ErrorCodes.INPUT_MALFORMED);
    assert.match(bad[0]!.error.message, new RegExp(`^${page2.replace(/[?.]/g, '\\$&')}: not JSON \\(`));
    assert.equal(bad[0]!.raw, '<html>maintenance</html>');
    assert.equal(bad[1]!.error.message, `${page2}: "results" is not an array (got object)`);
    assert.deepEqual(
      server.requests.map((r) => r.url.searchParams.get('page')),
      ['1', '2', '2', '2', '3'],
    );
  } finally {
    await server.close();
  }
});

test('a 200 with a bad body is backed off as a 5xx is, not polled again at once; each distinct body is one dead letter', async () => {
  // An API answering an error page with 200, at interval 0 (`--rate 0`): this polled 190 times a second.
  const server = await serve((_req, res, _url, n) => {
    if (n % 2 === 1) {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<html>not json');
    }
    json(res, { error: 'Uh oh, something has gone wrong.' });
  });
  const baseMs = 100;
  try {
    const source = createSource('http', {
      url: server.url,
      query: { results: 5 },
      recordsPath: 'results',
      paging: { type: 'page', seed: 'b' },
      interval: 0,
      backoff: { baseMs, maxMs: 10_000 },
    });
    const log = logs();
    const stop = new AbortController();
    const started = performance.now();
    const timer = setTimeout(() => stop.abort(), 1500);
    const items: SourceItem[] = [];
    for await (const batch of source.read({ signal: stop.signal, log, destination: { topic: 't' } })) {
      items.push(...batch);
      await source.committed?.(batch.length);
    }
    clearTimeout(timer);
    const ran = performance.now() - started;
    // Wait k (k = 0, 1, …) is at least baseMs·2^k / 2, so r requests take at least baseMs/2 · (2^(r-1) - 1):
    // in `ran` ms at most 1 + log2(2·ran/baseMs + 1) requests fit, whatever the machine's speed.
    const most = Math.floor(1 + Math.log2((2 * ran) / baseMs + 1));
    assert.ok(server.requests.length >= 2, `asked again (${server.requests.length})`);
    assert.ok(
      server.requests.length <= most,
      `${server.requests.length} requests in ${ran.toFixed(0)} ms (at most ${most})`,
    );
    for (const r of server.requests) assert.equal(r.url.searchParams.get('page'), '1', 'the same page asked again');
    // The two bodies once each, however often they came: kept for inspection, not copied a thousand times.
    assert.deepEqual(
      items.map((i) => (i.kind === 'invalid' ? i.raw : 'record')),
      ['<html>not json', JSON.stringify({ error: 'Uh oh, something has gone wrong.' })],
    );
    const page1 = `${server.url}?results=5&seed=b&page=1`;
    const warned = log.lines.filter((l) => l.startsWith('warn: '));
    assert.equal(warned.length, 1, 'one line per streak');
    assert.match(
      warned[0]!,
      new RegExp(`GET ${page1.replace(/[?.]/g, '\\$&')}: not JSON .*\\(retrying with backoff\\)$`),
    );
  } finally {
    await server.close();
  }
});

/** Runs a source through the real runtime into a local broker topic until `limit` or `stopAfterMs`. */
async function runInto(
  broker: LocalBroker,
  source: Source,
  o: { limit?: number; stopAfterMs?: number; log?: Logger; schema?: z.ZodType },
): Promise<void> {
  const stop = new AbortController();
  const timer = o.stopAfterMs === undefined ? undefined : setTimeout(() => stop.abort(), o.stopAfterMs);
  const status = new StatusCell({ app: 't', pipeline: 'p', pid: 1, component: 'source', name: 'http', topics: [] });
  await runSource({
    broker,
    source,
    topic: 'users',
    status,
    log: o.log ?? logs(),
    signal: stop.signal,
    ...(o.limit === undefined ? {} : { limit: o.limit }),
    ...(o.schema === undefined ? {} : { schema: o.schema }),
  });
  clearTimeout(timer);
}

/** The values the topic's schema takes: `{ n: number }`; `{ bad }` is refused, a dead letter. */
const N = z.object({ n: z.number() });

/** A page of `results` records, the first `bad` of them refused by N. */
const somewhatBad = (page: number, results: number, bad: number) =>
  Array.from({ length: results }, (_, i) => (i < bad ? { bad: `${page}-${i}` } : { n: page * 100 + i }));

/**
 * Pages of `results` records, the first `bad(page)` of each refused by N, read through the runtime into a
 * local broker at interval 0 with backoff from `baseMs`: what was asked, said, produced and dead-lettered.
 */
async function pagesThroughSchema(
  results: number,
  bad: (page: number) => number,
  baseMs: number,
  run: { limit?: number; stopAfterMs: number },
) {
  const server = await serve((_req, res, url) => {
    const page = Number(url.searchParams.get('page'));
    json(res, { results: somewhatBad(page, results, bad(page)) });
  });
  const dir = mkdtempSync(join(tmpdir(), 'runnel-http-'));
  const broker = new LocalBroker(`local:${join(dir, 'b.db')}`);
  await broker.connect();
  await broker.createTopic('users');
  try {
    const source = createSource('http', {
      url: server.url,
      recordsPath: 'results',
      paging: { type: 'page', seed: 'g' },
      interval: 0,
      backoff: { baseMs, maxMs: 60_000 },
    });
    const log = logs();
    const started = performance.now();
    await runInto(broker, source, { ...run, log, schema: N });
    return {
      url: server.url,
      requests: server.requests,
      pages: server.requests.map((r) => Number(r.url.searchParams.get('page'))),
      ran: performance.now() - started,
      lines: log.lines,
      got: (await broker.read('users', 0, 0, 10_000)).map((r) => r.value),
      dead: (await broker.read('users.dlq', 0, 0, 10_000)).map((r) => (r.value as { raw: string }).raw),
    };
  } finally {
    await broker.close();
    await server.close();
  }
}

test('a page whose records are all dead letters is backed off as a bad body is, through the runtime; each page asked once', async () => {
  // A readable page of records none of which fits: at interval 0 this was asked for page after page at
  // once (a trial: 3,222 requests in 8 s), none counting towards --limit.
  const baseMs = 100;
  const { url, pages, ran, lines, dead } = await pagesThroughSchema(2, () => 2, baseMs, { stopAfterMs: 1500 });
  // As for a bad body: wait k is at least baseMs·2^k / 2, so at most 1 + log2(2·ran/baseMs + 1) requests.
  const most = Math.floor(1 + Math.log2((2 * ran) / baseMs + 1));
  assert.ok(pages.length >= 2, `asked again (${pages.length})`);
  assert.ok(pages.length <= most, `${pages.length} requests in ${ran.toFixed(0)} ms (at most ${most})`);
  // Its records are dead letters, durable: the next page is asked for, not the same one again.
  assert.deepEqual(
    pages,
    pages.map((_, i) => i + 1),
  );
  // Every page's records once, but for a last page the stop may have cut short before its produce.
  const letters = (of: number[]) => of.flatMap((page) => somewhatBad(page, 2, 2).map((v) => JSON.stringify(v)));
  const whole = dead.length === 2 * pages.length ? pages : pages.slice(0, -1);
  assert.deepEqual(dead.toSorted(), letters(whole).toSorted());
  assert.deepEqual(
    lines.filter((l) => l.includes('records are dead letters')),
    [
      `warn: http ${url}: GET ${url}?seed=g&page=1: all 2 of its records are dead letters (in users.dlq); going on with backoff until an answer has a usable one`,
    ],
  );
});

test('a page with any usable record is not backed off, and ends a streak of pages with none, said once', async () => {
  // Page 1: every record refused; from page 2 one refused of three. A backoff waits at least baseMs / 2.
  const baseMs = 2000;
  const bad = (page: number) => (page === 1 ? 3 : 1);
  const n = 5;
  const { url, requests, pages, lines, got } = await pagesThroughSchema(3, bad, baseMs, {
    limit: 2 * (n - 1),
    stopAfterMs: 30_000,
  });
  assert.deepEqual(
    pages,
    Array.from({ length: n }, (_, i) => i + 1),
  );
  const gaps = requests.slice(1).map((r, i) => r.at - requests[i]!.at);
  // Tolerance for the clocks: a timer never fires early by more than a millisecond.
  assert.ok(gaps[0]! >= baseMs / 2 - 2, `after the page of none: ${gaps[0]!.toFixed(0)} ms`);
  for (const [i, gap] of gaps.slice(1).entries())
    assert.ok(gap < baseMs / 2, `after page ${i + 2}, which had usable records: ${gap.toFixed(0)} ms`);
  assert.deepEqual(
    got,
    pages.flatMap((page) => somewhatBad(page, 3, bad(page)).filter((v) => 'n' in v)),
  );
  assert.deepEqual(
    lines.filter((l) => /dead letters \(in|usable records again/.test(l)),
    [
      `warn: http ${url}: GET ${url}?seed=g&page=1: all 3 of its records are dead letters (in users.dlq); going on with backoff until an answer has a usable one`,
      `info: http ${url}: usable records again after 1 answer with none`,
    ],
  );
});

test('restart through the runtime: --limit mid-page, then Ctrl-C mid-run; the topic holds what was served, once, in order', async () => {
  const server = await serve(randomuser);
  const dir = mkdtempSync(join(tmpdir(), 'runnel-http-'));
  const broker = new LocalBroker(`local:${join(dir, 'b.db')}`);
  await broker.connect();
  await broker.createTopic('users');
  try {
    // No seed given: one is drawn and kept, so the runs continue one sequence.
    const config = {
      url: server.url,
      query: { results: 10 },
      recordsPath: 'results',
      paging: { type: 'page' as const },
      key: 'login.uuid',
      interval: 30,
      stateDir: join(dir, 'data'),
    };
    await runInto(broker, createSource('http', config), { limit: 23 });
    await runInto(broker, createSource('http', config), { limit: 14 });
    await runInto(broker, createSource('http', config), { stopAfterMs: 400 });
    await runInto(broker, createSource('http', config), { limit: 9 });
    const got = (await broker.read('users', 0, 0, 10_000)).map((r) => r.value as { login: { uuid: string } });
    const seed = server.requests[0]!.url.searchParams.get('seed')!;
    assert.match(seed, /^[0-9a-f]{16}$/);
    for (const r of server.requests) assert.equal(r.url.searchParams.get('seed'), seed, 'one seed across restarts');
    // Brute force: the served pages, in order, cut to what the topic holds; any repeat or gap shows.
    const lastPage = Math.max(...server.requests.map((r) => Number(r.url.searchParams.get('page'))));
    const served = Array.from({ length: lastPage }, (_, p) => users(seed, p + 1, 10)).flat();
    assert.ok(got.length > 23 + 14 + 9, `the Ctrl-C run produced something (${got.length} in all)`);
    assert.deepEqual(got, served.slice(0, got.length));
    assert.ok(served.length - got.length < 10, 'at most the rest of one page fetched and not yet produced');
    const files = readdirSync(join(dir, 'data'));
    assert.equal(files.length, 1, files.join());
    const kept = JSON.parse(readFileSync(join(dir, 'data', files[0]!), 'utf8'));
    assert.equal(kept.emitted, got.length);
    assert.equal(kept.seed, seed);
  } finally {
    await broker.close();
    await server.close();
  }
});

test('a kill -9 after a produce, before its position was saved: the next run goes on from the position on the topic, repeating and skipping nothing', async () => {
  const server = await serve(randomuser);
  const dir = mkdtempSync(join(tmpdir(), 'runnel-http-'));
  const broker = new LocalBroker(`local:${join(dir, 'b.db')}`);
  await broker.connect();
  // Three partitions: each keeps the mark of the last batch that reached it, and the furthest one counts.
  await broker.createTopic('users', { partitions: 3 });
  try {
    const config = {
      url: server.url,
      query: { results: 10 },
      recordsPath: 'results',
      paging: { type: 'page' as const, seed: 'k9' },
      key: 'login.uuid',
      interval: 0,
      stateDir: join(dir, 'data'),
    };
    await runInto(broker, createSource('http', config), { limit: 20 });
    const [name] = readdirSync(join(dir, 'data'));
    const file = join(dir, 'data', name!);
    const atPage3 = readFileSync(file, 'utf8');
    // Page 3, then half of page 4 (--limit cuts it): the mark must say where in page 4.
    await runInto(broker, createSource('http', config), { limit: 15 });
    // What a kill -9 between that produce and the file's write leaves: the topic at 35, the file at 20.
    writeFileSync(file, atPage3);
    const log = logs();
    await runInto(broker, createSource('http', config), { limit: 25, log });
    const got = [];
    for (const partition of [0, 1, 2])
      got.push(...(await broker.read('users', partition, 0, 10_000)).map((r) => (r.value as { n: number }).n));
    // Brute force: records 0..59 of the seed's pages, each once.
    assert.deepEqual(
      got.toSorted((a, b) => a - b),
      Array.from({ length: 60 }, (_, n) => n),
    );
    assert.ok(
      log.lines.some((l) =>
        /resuming at page 4 \(seed k9\), record 5; 35 records emitted before \(from users: /.test(l),
      ),
      log.lines.join('\n'),
    );
    const asked = server.requests.map((r) => Number(r.url.searchParams.get('page')));
    assert.deepEqual(asked, [1, 2, 3, 4, 4, 5, 6], 'page 4 asked again for its second half, page 3 not again');
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).emitted, 60);
  } finally {
    await broker.close();
    await server.close();
  }
});

test("run marks: another request's are not its own, and a saved position ahead of the marks wins (a batch of dead letters only)", async () => {
  const server = await serve(randomuser);
  const dir = mkdtempSync(join(tmpdir(), 'runnel-http-'));
  try {
    const config = {
      url: server.url,
      query: { results: 10 },
      recordsPath: 'results',
      paging: { type: 'page' as const, seed: 's' },
      interval: 0,
      stateDir: dir,
    };
    // This request's mark: learned from a source that produced one page (the mark of its pending batch).
    const first = createSource('http', config);
    const iterator = first.read({ signal: new AbortController().signal, log: logs(), destination: { topic: 't' } });
    await iterator[Symbol.asyncIterator]().next();
    const ours = first.runMark!(10)!;
    const position = (page: number, emitted: number) => ({ page, seed: 's', skip: 0, emitted });
    const mark = (http: string, page: number, emitted: number) =>
      JSON.stringify({ http, position: position(page, emitted) });
    const id = (JSON.parse(ours) as { http: string }).http;
    assert.deepEqual(JSON.parse(ours).position, position(2, 10));
    const firstPageAsked = async (marks: string[], saved?: object) => {
      if (saved) writeFileSync(join(dir, readdirSync(dir)[0]!), JSON.stringify(saved));
      const before = server.requests.length;
      const source = createSource('http', config);
      const ctx = { signal: new AbortController().signal, log: logs(), destination: { topic: 't' } };
      await source
        .read({ ...ctx, runMarks: async () => marks })
        [Symbol.asyncIterator]()
        .next();
      return Number(server.requests[before]!.url.searchParams.get('page'));
    };
    // No file yet (the first source never committed): a mark of another request (another query) is not ours.
    assert.equal(await firstPageAsked([mark('another', 9, 80), mark(id, 5, 40)]), 5);
    await first.committed!(10);
    assert.equal(await firstPageAsked([mark(id, 5, 40)], position(7, 60)), 7, 'the file is ahead');
    assert.equal(await firstPageAsked([mark(id, 8, 70), mark(id, 6, 50)], position(7, 60)), 8, 'the furthest mark');
    // A file that is not a position is refused, with the way out: without it, the marks say where to go on.
    writeFileSync(join(dir, readdirSync(dir)[0]!), 'garbage');
    await assert.rejects(firstPageAsked([mark(id, 8, 70)]), (err: Error) =>
      /: not a position of the http source; remove it to go on from the position kept on the topic/.test(err.message),
    );
  } finally {
    await server.close();
  }
});

test('a cursor source through the runtime: a 5xx, a broken body, Ctrl-C, a restart; every day once, one dead letter', async () => {
  const all = Array.from({ length: 40 }, (_, i) => ({ day: i }));
  const server = await serve((_req, res, url, n) => {
    if (n === 2) return json(res, { error: 'boom' }, 500);
    if (n === 4) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"data": [');
    }
    const from = Number(url.searchParams.get('next_token') ?? 0);
    json(res, { data: all.slice(from, from + 5), next_token: from + 5 < all.length ? String(from + 5) : null });
  });
  const dir = mkdtempSync(join(tmpdir(), 'runnel-http-'));
  const broker = new LocalBroker(`local:${join(dir, 'b.db')}`);
  await broker.connect();
  await broker.createTopic('users');
  try {
    const config = {
      url: server.url,
      recordsPath: 'data',
      paging: { type: 'cursor' as const },
      interval: 40,
      backoff: { baseMs: 10, maxMs: 20 },
      stateDir: dir,
    };
    await runInto(broker, createSource('http', config), { stopAfterMs: 250 });
    const first = (await broker.read('users', 0, 0, 10_000)).length;
    assert.ok(first > 0 && first < 40, `first run produced ${first}`);
    await runInto(broker, createSource('http', config), { stopAfterMs: 3000 });
    const got = (await broker.read('users', 0, 0, 10_000)).map((r) => r.value);
    assert.deepEqual(got, all);
    const before = server.requests.length;
    await runInto(broker, createSource('http', config), { stopAfterMs: 3000 });
    assert.equal(server.requests.length, before, 'nothing asked again after the last page');
    assert.equal((await broker.read('users', 0, 0, 10_000)).length, 40);
    const dead = (await broker.read('users.dlq', 0, 0, 100)).map((r) => JSON.stringify(r.value));
    assert.equal(dead.length, 1, dead.join('\n'));
    assert.ok(dead[0]!.includes(`${server.url}?next_token=`) && dead[0]!.includes('not JSON'), dead[0] ?? '');
  } finally {
    await broker.close();
    await server.close();
  }
});

test('Ctrl-C stops it at once (well within a second of waits of 30-60 s): mid-backoff (a 5xx, a bad body or a page of dead letters), mid-Retry-After, mid-request and mid-interval', async () => {
  const cases: Array<[string, Handler, Record<string, unknown>]> = [
    ['backoff', (_q, res) => json(res, {}, 500), { backoff: { baseMs: 30_000, maxMs: 60_000 } }],
    ['Retry-After', (_q, res) => json(res, {}, 503, { 'retry-after': '60' }), {}],
    ['request', () => {}, { timeout: 60_000 }],
    ['interval', randomuser, { interval: 60_000 }],
    [
      'bad body',
      (_q, res) => json(res, { error: 'nope' }),
      { interval: 0, backoff: { baseMs: 30_000, maxMs: 60_000 } },
    ],
    [
      'page of dead letters',
      (_q, res) => json(res, { results: [{ bad: 1 }] }),
      { interval: 0, backoff: { baseMs: 30_000, maxMs: 60_000 } },
    ],
  ];
  for (const [what, handler, extra] of cases) {
    const server = await serve(handler);
    try {
      const source = createSource('http', { url: server.url, recordsPath: 'results', ...extra });
      const stop = new AbortController();
      const it = source.read({ signal: stop.signal, log: logs() })[Symbol.asyncIterator]();
      let next = it.next();
      // Past its first batch (the page, or the bad body's dead letter) to the wait after it.
      if (what === 'interval' || what === 'bad body' || what === 'page of dead letters') {
        await next;
        // The runtime's word on the page: none of it good.
        await source.committed?.(1, what === 'page of dead letters' ? 0 : undefined);
        next = it.next();
      }
      // Let it reach its wait: the request is in, and the answer (if any) back.
      while (server.requests.length < 1) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 100));
      const started = performance.now();
      stop.abort();
      const end = await next;
      const took = performance.now() - started;
      assert.equal(end.done, true, what);
      // A bound far below the waits it cuts short, not a speed: two test files share two cores.
      assert.ok(took < 1000, `${what}: stopped after ${took.toFixed(0)} ms`);
    } finally {
      await server.close();
    }
  }
});

test('config: a bad header is named without its value; the registry knows the source', async () => {
  assert.throws(
    () => createSource('http', { url: 'http://127.0.0.1:1/', headers: { Authorization: 'Bearer s3cret\nX: y' } }),
    (err: unknown) => {
      assert.ok(isRunnelError(err));
      assert.equal(err.code, ErrorCodes.CONFIG_INVALID);
      assert.match(err.message, /headers\.Authorization: a header value must be text/);
      assert.ok(!err.message.includes('s3cret') && !String(err.value).includes('s3cret'), err.message);
      return true;
    },
  );
  assert.throws(() => createSource('http', { url: 'ftp://x/' }), /http:\/\/ or https:\/\//);
  assert.throws(() => createSource('http', { url: 'http://x/', paging: { type: 'page', pageSize: 3 } }), /pageSize/);
});
