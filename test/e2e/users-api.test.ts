/**
 * `runnel run users --api <url>` against a local randomuser-shaped server (randomUserResponse): pages of
 * one seed in order, a 503 with Retry-After, a request that times out and a malformed body (one dead
 * letter with the URL and the reason); the users land once each, and a second run continues with the next
 * page, neither repeating nor skipping.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUserResponse } from '../../src/apps/users/randomuser.ts';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import { exited, jsonlValues, runCli, sqliteRows, startCli, workspace } from '../helpers/cli.ts';
import { referenceFlat } from '../helpers/users-replay.ts';

const PAGE = 50;

test('users --api: paging by seed, 503 Retry-After, a timeout and a malformed body; a restart continues', {
  timeout: 180_000,
}, async () => {
  // The generator loads its locales on first use: not inside the first request's time limit.
  randomUserResponse(new URLSearchParams('results=5&seed=warm'));
  const requests: URL[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url);
    const n = requests.length;
    if (n === 2) {
      res.writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain' });
      return res.end('ease up');
    }
    if (n === 4) return setTimeout(() => res.end('{}'), 5000).unref();
    if (n === 6) {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<html>maintenance</html>');
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(randomUserResponse(url.searchParams)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  try {
    const ws = workspace('runnel-users-api-');
    const env = { USERS_PAGE_SIZE: String(PAGE), USERS_API_TIMEOUT_MS: '2000' };
    const args = ['run', 'users', '--api', api, '--rate', '0', '--seed', '21', '--sinks', 'jsonl,sqlite', ...ws.flags];
    const first = await runCli([...args, '--limit', '250'], { env, timeoutMs: 120_000 });
    assert.equal(first.code, 0, first.stderr);
    const pages = requests.map((u) => [u.searchParams.get('seed'), u.searchParams.get('page')]);
    // Requests 2 (503), 4 (timeout) and 6 (malformed) are made again for the same page.
    assert.deepEqual(
      pages.slice(0, 9),
      [
        ['21', '1'],
        ['21', '2'],
        ['21', '2'],
        ['21', '3'],
        ['21', '3'],
        ['21', '4'],
        ['21', '4'],
        ['21', '5'],
        ['21', '6'],
      ].slice(0, pages.length),
    );
    for (const u of requests) assert.equal(u.searchParams.get('results'), String(PAGE));
    const want = referenceFlat('21', PAGE, 400);
    const data = join(ws.dir, 'data');
    const got = jsonlValues<{ id: string; dob: string }>(join(data, 'users_created.jsonl'));
    assert.deepEqual(
      got.map((u) => u.id),
      want.slice(0, 250).map((u) => u.id),
      'pages 1-5 once each, in order',
    );
    assert.ok(
      got.every((u) => typeof u.dob === 'string'),
      'dob kept',
    );

    // The malformed body: one dead letter naming the request and why.
    const broker = new LocalBroker(ws.broker);
    await broker.connect();
    const dlq = await broker.read('users_created.dlq', 0, 0, 100);
    await broker.close();
    assert.equal(dlq.length, 1);
    const letter = dlq[0]!.value as { error: { message: string }; raw: string };
    assert.match(
      letter.error.message,
      new RegExp(`^${api.replace(/[.?]/g, '\\$&')}\\?results=${PAGE}&seed=21&page=4: not JSON`),
    );
    assert.equal(letter.raw, '<html>maintenance</html>');

    // A second run continues at page 6: the position was kept with the data.
    const second = await runCli([...args, '--limit', '150'], { env, timeoutMs: 120_000 });
    assert.equal(second.code, 0, second.stderr);
    const all = jsonlValues<{ id: string }>(join(data, 'users_created.jsonl'));
    assert.deepEqual(
      all.map((u) => u.id),
      want.map((u) => u.id),
    );
    const predicted = sqliteRows<{ n: number }>(
      join(data, 'users.sqlite'),
      'SELECT count(*) AS n FROM users_predicted',
    )[0]!;
    assert.equal(predicted.n, 400);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('users --api after a kill -9 between a page and its saved position: the restart goes on from the page on the topic, each user once', {
  timeout: 180_000,
}, async () => {
  randomUserResponse(new URLSearchParams('results=5&seed=warm'));
  const asked: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    asked.push(url.searchParams.get('page')!);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(randomUserResponse(url.searchParams)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  try {
    const ws = workspace('runnel-users-api-kill-');
    const env = { USERS_PAGE_SIZE: String(PAGE) };
    const args = ['run', 'users', '--api', api, '--rate', '0', '--seed', '33', '--sinks', 'jsonl', ...ws.flags];
    const data = join(ws.dir, 'data');
    const run = async (limit: number) => {
      const r = await runCli([...args, '--limit', String(limit)], { env, timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
      return r;
    };
    await run(2 * PAGE);
    const [name] = readdirSync(data).filter((f) => f.startsWith('http-source.'));
    const kept = readFileSync(join(data, name!), 'utf8');
    await run(PAGE);
    // A kill -9 after page 3 was produced but before its position was written leaves the file of page 2.
    writeFileSync(join(data, name!), kept);
    const third = await run(2 * PAGE);
    assert.match(third.stderr, /resuming at page 4 \(seed 33\); 150 records emitted before \(from users_created: /);
    assert.deepEqual(asked, ['1', '2', '3', '4', '5'], 'page 3 not asked for again');
    const got = jsonlValues<{ id: string }>(join(data, 'users_created.jsonl')).map((u) => u.id);
    assert.deepEqual(
      got,
      referenceFlat('33', PAGE, 5 * PAGE).map((u) => u.id),
      'pages 1-5 once each, in order',
    );
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/**
 * `run users --api` at `--rate 0` against a local server answering `answer(url, n)` (its n-th request):
 * once it has answered twice, a few seconds of backoff, then Ctrl-C. It must exit 0, within the bound of
 * the http source's default backoff (500 ms, doubling: wait k is at least 250·2^k ms, so in `ran` ms no
 * more than 1 + log2(ran/250 + 1) requests fit, however fast or slow the machine). The requests, what it
 * said, and its workspace.
 */
async function backedOff(answer: (url: URL, n: number) => string, flags: string[], env: Record<string, string> = {}) {
  const arrived: Array<{ at: number; url: URL }> = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    arrived.push({ at: performance.now(), url });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(answer(url, arrived.length));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  try {
    const ws = workspace('runnel-users-api-bad-');
    const child = startCli(['run', 'users', '--api', api, '--rate', '0', ...flags, ...ws.flags], { env });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    // Progress, not clock: two answers seen, then a few seconds of backoff before Ctrl-C.
    while (arrived.length < 2 && child.exitCode === null) await sleep(20);
    await sleep(3000);
    child.kill('SIGINT');
    await exited(child);
    const ran = performance.now() - arrived[0]!.at;
    assert.equal(child.exitCode, 0, stderr);
    const most = Math.floor(1 + Math.log2(ran / 250 + 1));
    assert.ok(arrived.length <= most, `${arrived.length} requests in ${ran.toFixed(0)} ms (at most ${most})`);
    return { api, urls: arrived.map((a) => a.url), stderr, ws };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** The dead letters a run left on users_created.dlq. */
async function deadLetters(
  ws: ReturnType<typeof workspace>,
): Promise<Array<{ error: { message: string }; raw: string }>> {
  const broker = new LocalBroker(ws.broker);
  await broker.connect();
  try {
    return (await broker.read('users_created.dlq', 0, 0, 1000)).map(
      (r) => r.value as { error: { message: string }; raw: string },
    );
  } finally {
    await broker.close();
  }
}

test('users --api --rate 0 against an API answering 200 with a bad body: backed off, reported, one dead letter per body; Ctrl-C stops it', {
  timeout: 120_000,
}, async () => {
  // The not-JSON page and randomuser's own `{"error": …}` (no results): either was asked for again at once,
  // 1,900 requests and as many dead letters in 10 s.
  const bodies = ['<html>not json', JSON.stringify({ error: 'Uh oh, something has gone wrong.' })];
  const { api, stderr, ws } = await backedOff((_url, n) => bodies[(n - 1) % 2]!, ['--seed', '4', '--sinks', 'jsonl']);
  assert.match(stderr, new RegExp(`GET ${api.replace(/[.?]/g, '\\$&')}\\?results=\\d+&seed=4&page=1: not JSON`));
  assert.match(stderr, /retrying with backoff/);
  assert.deepEqual(
    (await deadLetters(ws)).map((d) => d.raw),
    bodies,
    'each bad body kept once for inspection',
  );
});

test('users --api --rate 0 against pages of users none of which is usable: backed off, each page asked once; Ctrl-C stops it', {
  timeout: 120_000,
}, async () => {
  // A trial's API answered 200 with such pages: 3,222 requests in 8 s, 9,666 dead letters, and --limit
  // (good users) never reached. Odd requests: users the app cannot flatten; even ones: users whose id does
  // not fit the topic's schema (refused by the runtime, not the app). Either page is all dead letters.
  randomUserResponse(new URLSearchParams('results=5&seed=warm'));
  const unflattenable = [{ name: { first: 'Ann' } }, 42];
  const answer = (url: URL, n: number) => {
    const misfits = randomUserResponse(url.searchParams).results.map((u) => ({
      ...u,
      login: { ...u.login, uuid: 'no-uuid' },
    }));
    const info = { seed: url.searchParams.get('seed'), results: 2, page: url.searchParams.get('page'), version: '1.4' };
    return JSON.stringify({ results: n % 2 === 1 ? unflattenable : misfits, info });
  };
  const { urls, stderr, ws } = await backedOff(answer, ['--seed', '5', '--sinks', 'jsonl'], { USERS_PAGE_SIZE: '2' });
  assert.deepEqual(
    urls.map((u) => Number(u.searchParams.get('page'))),
    urls.map((_, i) => i + 1),
    'a page of dead letters is done with: the next one is asked for',
  );
  const said = stderr.split('\n').filter((l) => l.includes('going on with backoff'));
  assert.equal(said.length, 1, 'one warning for the streak');
  assert.match(said[0]!, /page=1: all 2 of its records are dead letters \(in users_created\.dlq\)/);
  const dead = await deadLetters(ws);
  // Two a page; a last page the Ctrl-C cut short between its answer and its produce is not there.
  assert.ok([2 * urls.length, 2 * urls.length - 2].includes(dead.length), `${dead.length} dead letters`);
  assert.match(dead[0]!.error.message, /page=1 #0: not a randomuser user \(it has no login\.uuid/);
  assert.match(dead[2]!.error.message, /page=2 #0: not a valid users_created record \(id: /);
});

test('--api is refused, in one line, for an app that polls no API', async () => {
  const ws = workspace('runnel-users-api-refused-');
  const r = await runCli(['run', 'buzz', '--api', 'http://127.0.0.1:9/api/', '--limit', '5', ...ws.flags], {
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr.trim(), /^runnel: RUNNEL_USAGE: --api: buzz polls no HTTP API \(apps that do: users\)$/);
});
