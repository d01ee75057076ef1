import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { defineApp, tumbling } from '../index.ts';
import { TestDriver } from './index.ts';

const BASE = Date.UTC(2025, 0, 1);
const Reading = z.object({ sensor: z.string(), temp: z.number(), ts: z.number() });

/** A user's pipeline file: readings per sensor per minute, on 3 partitions, its minimum count from the env. */
const app = defineApp({
  name: 'per-minute',
  partitions: 3,
  pipeline(t, { env }) {
    const least = Number(env.LEAST ?? 1);
    t.stream('readings', { schema: Reading, eventTime: 'ts' })
      .keyBy((r) => r.sensor)
      .window(tumbling(60_000))
      .aggregate((a) => ({ n: a.count(), max: a.max((r) => r.temp) }))
      .filter((w) => w.n >= least)
      .to('readings.per-minute');
  },
});

test('TestDriver.forApp runs the app file’s own steps with its partitions and env: results equal a brute-force count', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          sensor: fc.constantFrom('a', 'b', 'c', 'd'),
          temp: fc.integer({ min: 0, max: 300 }),
          // Epoch ms of a real day: a small number in an event-time field is read as seconds.
          ts: fc.integer({ min: BASE, max: BASE + 10 * 60_000 }),
        }),
        { maxLength: 80 },
      ),
      fc.integer({ min: 1, max: 3 }),
      async (readings, least) => {
        const driver = await TestDriver.forApp(app, { env: { LEAST: String(least) } });
        // In event-time order: this property is about the app's wiring, the window tests cover lateness.
        const sorted = readings.toSorted((x, y) => x.ts - y.ts);
        driver.pipe(
          'readings',
          sorted.map((r) => ({ key: r.sensor, value: r, timestamp: r.ts })),
        );
        driver.end();
        const expected = new Map<string, { n: number; max: number }>();
        for (const r of sorted) {
          const k = `${r.sensor}@${Math.floor(r.ts / 60_000) * 60_000}`;
          const cur = expected.get(k) ?? { n: 0, max: Number.NEGATIVE_INFINITY };
          expected.set(k, { n: cur.n + 1, max: Math.max(cur.max, r.temp) });
        }
        const want = [...expected].filter(([, v]) => v.n >= least).map(([k, v]) => `${k}:${v.n}:${v.max}`);
        const got = driver.outputs('readings.per-minute').map((o) => {
          const w = o.value as { start: number; n: number; max: number };
          return `${o.key}@${w.start}:${w.n}:${w.max}`;
        });
        assert.deepEqual(got.toSorted(), want.toSorted());
      },
    ),
    { numRuns: 30 },
  );
});

test('TestDriver.forApp makes the topics as a run does: repartition topics with the app’s partitions, declared ones with theirs; `partitions` given wins', async () => {
  // 2 partitions, one topic declared with 8: the repartition topic has 2 in a run (pipeline.createTopics).
  const wide = defineApp({
    name: 'wide',
    partitions: 2,
    topics: { readings: { partitions: 8 } },
    pipeline(t) {
      t.stream('readings', { schema: Reading, eventTime: 'ts' })
        .keyBy((r) => r.sensor)
        .window(tumbling(60_000))
        .aggregate((a) => ({ n: a.count() }))
        .to('readings.per-minute');
    },
  });
  const spec = await wide.build({ dataDir: '/nonexistent', sinks: [], env: {} });
  const internal = [...new Set(spec.processors.flatMap((p) => Object.keys(p.internalTopics)))];
  assert.equal(internal.length, 1, internal.join(', '));
  const rows = Array.from({ length: 40 }, (_, i) => ({
    key: `k${i % 16}`,
    value: { sensor: `s${i}`, temp: i, ts: BASE },
  }));
  const used = async (topic: string, o: { partitions?: number }) => {
    const driver = await TestDriver.forApp(wide, o);
    driver.pipe('readings', rows).end();
    return new Set(driver.outputs(topic).map((r) => r.partition));
  };
  // 40 sensors over the repartition topic's 2 partitions: both used, none beyond.
  assert.deepEqual([...(await used(internal[0]!, {}))].sort(), [0, 1]);
  assert.deepEqual([...(await used('readings.per-minute', {}))].sort(), [0, 1]);
  assert.deepEqual([...(await used(internal[0]!, { partitions: 1 }))], [0]);
});
