import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { createDashboard, startDashboard } from '../../src/server/index.ts';
import { HostAllowlist, isLoopback, tokenMatches } from '../../src/server/security.ts';
import { buzzApp, smokerApp, tempBroker } from './fixtures.ts';

const apps = [buzzApp, smokerApp];
const { broker } = await tempBroker();
after(() => broker.close());
await broker.produce('buzz', [{ key: 'k', value: { message: 'hello', author: 'Alice' } }]);

/** Every route the API has: the token and Host checks must hold on each, streams included. */
const API_ROUTES = [
  '/api/info',
  '/api/overview',
  '/api/topics',
  '/api/groups',
  '/api/status',
  '/api/apps/buzz',
  '/api/topics/buzz/records',
  '/api/topics/buzz/records/0/0',
  '/api/live/overview',
  '/api/live/apps/buzz',
  '/api/live/topics/buzz',
];

describe('loopback dashboard (no token)', () => {
  const d = createDashboard({ broker, apps, port: 8080 });
  after(() => d.stop());
  const get = (url: string, headers: Record<string, string>) => d.app.inject({ method: 'GET', url, headers });

  test('Host must be a loopback name with our port (DNS rebinding gets 403)', async () => {
    for (const host of [
      'evil.example',
      'evil.example:8080',
      '127.0.0.1.nip.io:8080',
      'localhost:9999',
      '10.0.0.5:8080',
      '',
    ]) {
      for (const url of ['/api/overview', '/api/live/overview', '/']) {
        const res = await get(url, { host });
        assert.equal(res.statusCode, 403, `Host ${JSON.stringify(host)} on ${url}`);
      }
    }
    for (const host of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'LOCALHOST:8080']) {
      assert.equal((await get('/api/overview', { host })).statusCode, 200, host);
    }
  });

  test('a foreign Origin gets 403 on the API and on streams; our own Origin passes', async () => {
    for (const origin of [
      'http://evil.example',
      'http://evil.example:8080',
      'null',
      'http://localhost:8081',
      'file://',
    ]) {
      for (const url of ['/api/overview', '/api/live/apps/buzz', '/api/live/topics/buzz']) {
        const res = await get(url, { host: 'localhost:8080', origin });
        assert.equal(res.statusCode, 403, `Origin ${origin} on ${url}`);
      }
    }
    const ok = await get('/api/overview', { host: 'localhost:8080', origin: 'http://localhost:8080' });
    assert.equal(ok.statusCode, 200);
  });

  test('a cross-site fetch is refused even when the browser hides the Origin', async () => {
    const res = await get('/api/overview', { host: 'localhost:8080', 'sec-fetch-site': 'cross-site' });
    assert.equal(res.statusCode, 403);
  });

  test('no CORS headers, ever, and the page is framed by nobody', async () => {
    for (const method of ['GET', 'OPTIONS'] as const) {
      for (const origin of ['http://localhost:8080', 'https://evil.example']) {
        const res = await d.app.inject({
          method,
          url: '/api/overview',
          headers: { host: 'localhost:8080', origin, 'access-control-request-method': 'GET' },
        });
        assert.equal(res.headers['access-control-allow-origin'], undefined, `${method} ${origin}`);
        assert.equal(res.headers['access-control-allow-credentials'], undefined);
      }
    }
    const page = await get('/', { host: 'localhost:8080' });
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
  });

  test('oversized URLs and bodies are refused', async () => {
    const long = await get(`/api/topics/buzz/records?filter=${'x'.repeat(3000)}`, { host: 'localhost:8080' });
    assert.equal(long.statusCode, 414);
    const filter = await get(`/api/topics/buzz/records?filter=${'x'.repeat(300)}`, { host: 'localhost:8080' });
    assert.equal(filter.statusCode, 400, 'filter longer than 200 characters');
    const body = await d.app.inject({
      method: 'POST',
      url: '/api/info',
      headers: { host: 'localhost:8080', 'content-type': 'application/json' },
      payload: 'x'.repeat(64 * 1024),
    });
    assert.ok([404, 413].includes(body.statusCode), `POST gives ${body.statusCode}`);
  });
});

describe('non-loopback dashboard (token required)', () => {
  const d = createDashboard({ broker, apps, host: '0.0.0.0', port: 8080 });
  after(() => d.stop());
  const token = d.token!;
  const get = (url: string, headers: Record<string, string> = {}) =>
    d.app.inject({ method: 'GET', url, headers: { host: '127.0.0.1:8080', ...headers } });

  test('a token is generated when none is given', () => {
    assert.ok(token && token.length >= 30, 'random token');
  });

  test('every API route and stream: 401 without, with a wrong and with a wrong-length token', async () => {
    const wrongSameLength = token.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'));
    for (const route of API_ROUTES) {
      assert.equal((await get(route)).statusCode, 401, `${route} without token`);
      assert.equal((await get(`${route}?token=${wrongSameLength}`)).statusCode, 401, `${route} wrong token`);
      assert.equal((await get(`${route}?token=short`)).statusCode, 401, `${route} wrong-length token`);
      assert.equal((await get(route, { authorization: `Bearer ${token}x` })).statusCode, 401, `${route} longer token`);
    }
  });

  test('the right token, as query or bearer header, gets 200', async () => {
    for (const route of API_ROUTES.filter((r) => !r.includes('/live/'))) {
      assert.equal((await get(`${route}?token=${encodeURIComponent(token)}`)).statusCode, 200, route);
      assert.equal((await get(route, { authorization: `Bearer ${token}` })).statusCode, 200, route);
    }
  });

  test('URL tricks do not reach the API without the token', async () => {
    for (const url of ['/%61pi/overview', '//api/overview', '/api//overview', '/API/overview', '/api/overview/']) {
      const res = await get(url);
      assert.ok([401, 404].includes(res.statusCode), `${url} gave ${res.statusCode}`);
      assert.doesNotMatch(res.body, /"topics"/, url);
    }
  });

  test('the page shell loads without the token (it holds no data) and still checks Host', async () => {
    assert.notEqual((await get('/')).statusCode, 401);
    assert.equal((await get('/', { host: 'evil.example' })).statusCode, 403);
  });
});

test('RUNNEL_DASHBOARD_TOKEN is used when set', async () => {
  process.env.RUNNEL_DASHBOARD_TOKEN = 'from-the-environment';
  try {
    const d = createDashboard({ broker, apps, host: '0.0.0.0', port: 8080 });
    assert.equal(d.token, 'from-the-environment');
    const res = await d.app.inject({
      url: '/api/info?token=from-the-environment',
      headers: { host: '127.0.0.1:8080' },
    });
    assert.equal(res.statusCode, 200);
    await d.stop();
  } finally {
    delete process.env.RUNNEL_DASHBOARD_TOKEN;
  }
});

describe('listening', () => {
  let d: Awaited<ReturnType<typeof startDashboard>>;
  before(async () => {
    d = await startDashboard({ broker, apps, port: 0 });
  });
  after(() => d.close());

  test('binds 127.0.0.1 by default and prints a URL without a token', async () => {
    const url = new URL(d.url);
    assert.equal(url.hostname, '127.0.0.1');
    assert.equal(d.token, undefined);
    const res = await fetch(new URL('/api/info', url));
    assert.equal(res.status, 200);
    const evil = await fetch(new URL('/api/info', url), { headers: { origin: 'http://evil.example' } });
    assert.equal(evil.status, 403);
  });

  test("the machine's other addresses cannot reach it", async (t) => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) return t.skip('no non-loopback interface on this machine');
    const port = new URL(d.url).port;
    await assert.rejects(fetch(`http://${external.address}:${port}/api/info`), 'connection refused');
  });
});

test('token comparison: constant-time over hashes, any length', () => {
  assert.equal(tokenMatches('abc', 'abc'), true);
  assert.equal(tokenMatches('abd', 'abc'), false);
  assert.equal(tokenMatches('a', 'abc'), false);
  assert.equal(tokenMatches('', 'abc'), false);
  assert.equal(tokenMatches(undefined, 'abc'), false);
  assert.equal(tokenMatches('abc'.repeat(1000), 'abc'), false);
});

test('allowlist: loopback names, bound host, extra hosts with and without port', () => {
  assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('[::1]') && isLoopback('localhost'));
  assert.ok(!isLoopback('0.0.0.0') && !isLoopback('192.168.1.4'));
  const a = new HostAllowlist('192.168.1.4', ['dash.example', 'proxy.example:443']);
  assert.ok(a.allowsHost('192.168.1.4:8080', 8080));
  assert.ok(a.allowsHost('dash.example:8080', 8080));
  assert.ok(!a.allowsHost('dash.example:9090', 8080));
  assert.ok(a.allowsOrigin('https://proxy.example', 8080));
  assert.ok(!a.allowsOrigin('https://proxy.example:8443', 8080));
  assert.ok(!a.allowsHost('evil.example:8080', 8080));
  assert.ok(!a.allowsOrigin('http://dash.example.evil.example:8080', 8080));
});
