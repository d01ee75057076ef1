/**
 * `POST /api/control`, the dashboard's only write: the same Host, Origin, Sec-Fetch-Site and token checks
 * as every route, a JSON body only (a cross-site form cannot send one), a validated command, and a 404 for
 * a source that is not running. A good command reaches a real pipeline through the control topic.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CsvSource } from '../../src/connectors/sources/csv/csv.ts';
import { CONTROL_TOPIC } from '../../src/core/control.ts';
import { silentLogger } from '../../src/core/log.ts';
import { type RunningPipeline, runPipeline } from '../../src/core/pipeline.ts';
import { createDashboard } from '../../src/server/index.ts';
import { buzzApp, smokerApp, tempBroker } from './fixtures.ts';

const apps = [buzzApp, smokerApp];
const { broker, dir } = await tempBroker();
const HOST = { host: 'localhost:8080' };
const PAUSE = { app: 'replay', source: 'csv', command: 'pause' };
after(() => broker.close());

/** A real CSV replay, one row per event-time minute at ×600 (ten a second), for a few minutes. */
function startReplay(): RunningPipeline {
  const path = join(dir, 'in.csv');
  const rows = Array.from(
    { length: 3000 },
    (_, i) => `${new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString()},${i}`,
  );
  writeFileSync(path, `timestamp,v\n${rows.join('\n')}\n`);
  return runPipeline({
    broker,
    spec: {
      app: 'replay',
      topics: { replay: {} },
      sources: [
        { source: new CsvSource({ path, timestampColumn: 'timestamp', speed: 600, loop: false }), topic: 'replay' },
      ],
      processors: [],
      sinks: [],
    },
    log: silentLogger,
    statusIntervalMs: 200,
  });
}

describe('POST /api/control', () => {
  const d = createDashboard({ broker, apps, port: 8080 });
  let replay: RunningPipeline;
  before(async () => {
    await d.start();
    replay = startReplay();
    // Until the dashboard has seen the source's status (published every 200 ms).
    for (let i = 0; i < 100; i++) {
      const s = (await d.app.inject({ url: '/api/status', headers: HOST })).json() as Array<{ speed?: number }>;
      if (s.some((c) => c.speed !== undefined)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    replay.stop();
    await replay.done;
    await d.stop();
  });
  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    d.app.inject({
      method: 'POST',
      url: '/api/control',
      headers: { ...HOST, 'content-type': 'application/json', ...headers },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
  const commandsSent = async () =>
    ((await broker.describeTopic(CONTROL_TOPIC))?.partitions ?? []).reduce((n, p) => n + p.endOffset, 0);

  test('refuses what a cross-site page could send, and sends nothing for it', async () => {
    const before = await commandsSent();
    const body = JSON.stringify(PAUSE);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await post(body, { 'content-type': type });
      assert.equal(res.statusCode, 415, type);
    }
    assert.equal((await post(PAUSE, { origin: 'http://evil.example' })).statusCode, 403, 'foreign Origin');
    assert.equal((await post(PAUSE, { origin: 'http://localhost:8081' })).statusCode, 403, 'other local port');
    assert.equal((await post(PAUSE, { 'sec-fetch-site': 'cross-site' })).statusCode, 403, 'cross-site');
    assert.equal((await post(PAUSE, { host: 'evil.example:8080' })).statusCode, 403, 'DNS rebinding');
    assert.equal(await commandsSent(), before, 'a refused request put a command on the control topic');
  });

  test('validates the command and names what is wrong', async () => {
    for (const [body, field] of [
      [{ ...PAUSE, command: 'stop' }, 'command'],
      [{ app: 'replay', source: 'csv', command: 'speed' }, 'speed'],
      [{ app: 'replay', source: 'csv', command: 'speed', speed: -1 }, 'speed'],
      [{ app: 'replay', source: 'csv', command: 'speed', speed: 1e9 }, 'speed'],
      [{ ...PAUSE, extra: 1 }, ''],
    ] as const) {
      const res = await post(body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.match(res.json().error, new RegExp(`^bad control command: ${field}`), JSON.stringify(body));
    }
    assert.equal((await post('{not json')).statusCode, 400);
    const missing = await post({ app: 'replay', source: 'nope', command: 'pause' });
    assert.equal(missing.statusCode, 404);
    assert.match(missing.json().error, /no running source "nope" of app "replay"/);
  });

  test('a good command pauses the running replay; resume starts it again', async () => {
    const end = async () => (await broker.describeTopic('replay'))?.partitions[0]?.endOffset ?? 0;
    const res = await post(PAUSE, { origin: 'http://localhost:8080' });
    assert.equal(res.statusCode, 202, res.body);
    for (let i = 0; i < 50 && !replay.statuses().find((s) => s.component === 'source')?.paused; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(replay.statuses().find((s) => s.component === 'source')?.paused, true);
    await new Promise((r) => setTimeout(r, 200));
    const held = await end();
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await end(), held, 'produced while paused');
    assert.equal((await post({ ...PAUSE, command: 'resume' })).statusCode, 202);
    for (let i = 0; i < 60 && (await end()) === held; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok((await end()) > held, 'nothing produced after resume');
  });
});

describe('POST /api/control on a non-loopback dashboard', () => {
  const d = createDashboard({ broker, apps, host: '0.0.0.0', port: 8080 });
  after(() => d.stop());
  test('needs the token like every route', async () => {
    const res = await d.app.inject({
      method: 'POST',
      url: '/api/control',
      headers: { host: '127.0.0.1:8080', 'content-type': 'application/json' },
      payload: JSON.stringify(PAUSE),
    });
    assert.equal(res.statusCode, 401);
  });
});
