import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sleep } from '../../src/core/backoff.ts';
import { startDashboard } from '../../src/server/index.ts';
import type { AppSnapshot, Overview, TopicDelta, TopicSnapshot } from '../../src/server/protocol.ts';
import { buzzApp, buzzMessage, type KnownPanelData, rng, runTestApps, smokerApp, tempBroker } from './fixtures.ts';
import { SseStream } from './sse.ts';

const apps = [buzzApp, smokerApp];

describe('live streams against running pipelines', () => {
  let env: Awaited<ReturnType<typeof tempBroker>>;
  let running: ReturnType<typeof runTestApps>;
  let dash: Awaited<ReturnType<typeof startDashboard>>;
  const streams: SseStream[] = [];
  const open = (path: string) => {
    const s = new SseStream(new URL(path, dash.url).href);
    streams.push(s);
    return s;
  };

  before(async () => {
    env = await tempBroker();
    running = runTestApps(env.broker, env.dir, { buzzRate: 40, smokerPerSecond: 20 });
    // Some history exists before anyone looks: the page opened late must show it.
    await sleep(1500);
    dash = await startDashboard({ broker: env.broker, apps, port: 0 });
  });
  after(async () => {
    for (const s of streams) s.close();
    await dash.close();
    await running.stop();
    await env.broker.close();
  });

  test('app stream: history on load, then deltas as records arrive', async () => {
    const s = open('/api/live/apps/buzz');
    const snap = (await s.waitFor((e) => e.event === 'snapshot')).data as AppSnapshot;
    assert.deepEqual(
      snap.app.panels.map((p) => p.id),
      buzzApp.panels.map((p) => p.id),
    );
    const flow = snap.data.flow as KnownPanelData | undefined;
    assert.ok(flow?.kind === 'series' && flow.points.length > 10 && flow.total > 10, 'history points on load');
    const before = flow.total;
    const delta = await s.waitFor((e) => {
      const d = e.data as Record<string, KnownPanelData>;
      return e.event === 'delta' && d.flow?.kind === 'series' && d.flow.total > before;
    });
    assert.ok(delta, 'flow grew live');
    await s.waitFor(
      (e) => e.event === 'delta' && (e.data as Record<string, KnownPanelData>).authors?.kind === 'counts',
    );
  });

  test('overview stream: the running apps, their components and topics', async () => {
    const s = open('/api/live/overview');
    const o = (
      await s.waitFor((e) => {
        const ov = e.data as Overview;
        return e.event === 'overview' && ov.apps.filter((a) => a.running).length === 2;
      })
    ).data as Overview;
    const buzz = o.apps.find((a) => a.name === 'buzz')!;
    assert.deepEqual(buzz.components.map((c) => `${c.component}/${c.name}`).sort(), [
      'processor/buzz.buzz-stats',
      'sink/test-archive',
      'source/test-buzz-generator',
    ]);
    const topic = o.topics.find((t) => t.name === 'buzz')!;
    assert.ok(topic.total > 0);
    assert.equal(o.topics.find((t) => t.name === 'smoker')?.dlq, 1, 'the malformed smoker row is counted');
    const rated = await s.waitFor((e) => ((e.data as Overview).topics.find((t) => t.name === 'buzz')?.rate ?? 0) > 5);
    assert.ok(rated);
  });

  test('topic stream: the dead letter with its reason; a filter applied on the server', async () => {
    const dlq = open('/api/live/topics/smoker.dlq');
    const snap = (await dlq.waitFor((e) => e.event === 'snapshot')).data as TopicSnapshot;
    assert.equal(snap.records.length, 1);
    const value = snap.records[0]!.value as { error: { message: string }; raw: string };
    assert.match(value.error.message, /not a number/);
    assert.match(value.raw, /n\/a/);

    const alice = open('/api/live/topics/buzz?filter=author%3DAlice');
    const first = (await alice.waitFor((e) => e.event === 'snapshot')).data as TopicSnapshot;
    assert.ok(first.records.length > 0);
    const later = await alice.waitFor((e) => e.event === 'delta' && (e.data as TopicDelta).records.length > 0);
    for (const r of [...first.records, ...(later.data as TopicDelta).records]) {
      assert.equal((r.value as { author: string }).author, 'Alice');
    }
  });

  test('the sink health shows retrying with the last error, then ok again', async () => {
    const s = open('/api/live/overview');
    running.sinkControl.failing = true;
    const sinkOf = (e: { data: unknown }) =>
      (e.data as Overview).apps.find((a) => a.name === 'buzz')?.components.find((c) => c.name === 'test-archive');
    const bad = await s.waitFor((e) => sinkOf(e)?.state === 'retrying', 15_000);
    assert.match(sinkOf(bad)?.lastError ?? '', /archive unreachable/);
    const lag = await s.waitFor(
      (e) => (e.data as Overview).groups.some((g) => g.group.includes('.sink.test-archive.') && g.lag > 0),
      15_000,
    );
    assert.ok(lag, 'the stuck sink shows lag');
    running.sinkControl.failing = false;
    await s.waitFor((e) => sinkOf(e)?.state === 'ok', 20_000, s.events.length);
  });
});

describe('10,000 records/s', () => {
  test('the browser gets a few small events a second, and exact totals', async (t) => {
    const { broker } = await tempBroker();
    const dash = await startDashboard({ broker, apps, port: 0 });
    const s = new SseStream(new URL('/api/live/apps/buzz', dash.url).href);
    try {
      await s.waitFor((e) => e.event === 'snapshot');
      const r = rng(3);
      const start = Date.now();
      const startBytes = s.bytes;
      const startEvents = s.events.length;
      let produced = 0;
      // 3 s at 10k/s: a batch of 1,000 every 100 ms, as a fast source would.
      for (let i = 0; i < 30; i++) {
        const now = Date.now();
        await broker.produce(
          'buzz',
          Array.from({ length: 1000 }, (_, j) => ({ value: buzzMessage(r, now), timestamp: now + j / 1000 })),
        );
        produced += 1000;
        await sleep(Math.max(0, start + (i + 1) * 100 - Date.now()));
      }
      await s.waitFor((e) => {
        const d = e.data as Record<string, KnownPanelData>;
        return d.flow?.kind === 'series' && d.flow.total === produced;
      }, 10_000);
      const seconds = (Date.now() - start) / 1000;
      const events = s.events.slice(startEvents);
      const perSecond = events.length / seconds;
      const bytesPerSecond = (s.bytes - startBytes) / seconds;
      t.diagnostic(`${perSecond.toFixed(1)} events/s, ${(bytesPerSecond / 1024).toFixed(1)} KiB/s to the browser`);
      assert.ok(perSecond <= 6, `events/s ${perSecond.toFixed(1)}`);
      assert.ok(bytesPerSecond < 20_000, `bytes/s ${bytesPerSecond.toFixed(0)}`);
      for (const e of events) {
        const d = e.data as Record<string, KnownPanelData>;
        if (d.flow?.kind === 'series') assert.ok(d.flow.points.length <= 8);
      }
    } finally {
      s.close();
      await dash.close();
      await broker.close();
    }
  });
});

test('a token-protected server: streams need it too', async () => {
  const { broker } = await tempBroker();
  const dash = await startDashboard({ broker, apps, port: 0, token: 'secret-token-1' });
  try {
    assert.match(dash.url, /\?token=secret-token-1$/);
    const base = new URL(dash.url);
    const without = new SseStream(new URL('/api/live/overview', base).href);
    assert.equal(await without.opened(), 401);
    const wrong = new SseStream(new URL('/api/live/overview?token=secret-token-2', base).href);
    assert.equal(await wrong.opened(), 401);
    const right = new SseStream(new URL('/api/live/overview?token=secret-token-1', base).href);
    assert.equal(await right.opened(), 200);
    await right.waitFor((e) => e.event === 'overview');
    right.close();
  } finally {
    await dash.close();
    await broker.close();
  }
});

describe('history and the REST API', () => {
  test('a panel opened late draws the whole topic (sampled) and its recent records in full', async () => {
    const { broker } = await tempBroker();
    const r = rng(5);
    const t0 = Date.UTC(2025, 0, 1);
    for (let i = 0; i < 10; i++) {
      await broker.produce(
        'buzz',
        Array.from({ length: 1000 }, (_, j) => ({ value: buzzMessage(r), timestamp: t0 + (i * 1000 + j) * 1000 })),
      );
    }
    const dash = await startDashboard({ broker, apps, port: 0 });
    try {
      const snap = (await (await fetch(new URL('/api/apps/buzz', dash.url))).json()) as AppSnapshot;
      const flow = snap.data.flow as KnownPanelData | undefined;
      assert.ok(flow?.kind === 'series');
      assert.equal(flow.total, 10_000);
      assert.ok(flow.points.length >= 700 && flow.points.length <= 900, `${flow.points.length} points`);
      assert.ok(flow.points[0]![1] <= 100, 'starts near the beginning of the topic, not at the history window');
      assert.deepEqual(flow.points.at(-1), [t0 + 9999 * 1000, 10_000]);
    } finally {
      await dash.close();
      await broker.close();
    }
  });

  test('records: newest first-N with a filter, one whole record, large values previewed', async () => {
    const { broker } = await tempBroker();
    const r = rng(9);
    await broker.produce(
      'buzz',
      Array.from({ length: 300 }, () => ({ value: buzzMessage(r) })),
    );
    await broker.produce('blobs', [{ key: 'big', value: { data: 'x'.repeat(20_000) } }]);
    const dash = await startDashboard({ broker, apps, port: 0 });
    const get = async (path: string) => {
      const res = await fetch(new URL(path, dash.url));
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    try {
      const bob = await get('/api/topics/buzz/records?filter=author%3DBob&limit=5');
      const records = bob.body.records as Array<{ offset: number; value: { author: string } }>;
      assert.equal(records.length, 5);
      for (const rec of records) assert.equal(rec.value.author, 'Bob');
      assert.ok(records[4]!.offset > records[0]!.offset, 'oldest of the five first, newest last');

      const blob = await get('/api/topics/blobs/records');
      const preview = (blob.body.records as Array<{ truncated?: boolean; value: unknown }>)[0]!;
      assert.equal(preview.truncated, true);
      assert.ok(String(preview.value).length < 9000);
      const whole = await get('/api/topics/blobs/records/0/0');
      assert.equal((whole.body.value as { data: string }).data.length, 20_000);

      assert.equal((await get('/api/topics/nope/records')).status, 404);
      assert.equal((await get('/api/topics/buzz/records/0/999')).status, 404);
      assert.equal((await get('/api/apps/nope')).status, 404);
      assert.equal((await get('/api/topics/buzz/records?limit=100000')).status, 400);
    } finally {
      await dash.close();
      await broker.close();
    }
  });
});
