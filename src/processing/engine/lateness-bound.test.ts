/**
 * What the README's Time section promises across partitions: partitions have no order between them, so how
 * far the others had been read when a record arrives decides whether a record far behind is late; but a
 * record at most maxOutOfOrderMs + allowedLateness behind the newest of its own partition is never late,
 * whatever the interleaving of partitions and however the input is batched. Checked through a keyBy, whose
 * downstream watermark is the minimum over the upstream tasks, against a brute-force count of every record.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { defineApp, hopping, tumbling } from '../../index.ts';
import { TestDriver, type TestInput } from '../../testing/index.ts';

const BASE = Date.UTC(2025, 0, 1);
const PARTITIONS = 3;
const SIZE = 10_000;
/** How much further behind than the promise records may be: 0 (set LATENESS_TEST_SLACK=3000 to see the test fail). */
const SLACK = Number(process.env.LATENESS_TEST_SLACK ?? 0);
const Reading = z.object({ k: z.string(), v: z.number(), ts: z.number() });
type Reading = z.infer<typeof Reading>;

const appOf = (bound: number, lateness: number, hop: boolean) =>
  defineApp({
    name: 'bound',
    partitions: PARTITIONS,
    pipeline(t) {
      t.stream('in', { schema: Reading, eventTime: 'ts', maxOutOfOrderMs: bound })
        .keyBy((r) => r.k)
        .window(hop ? hopping(SIZE, SIZE / 2) : tumbling(SIZE), { allowedLateness: lateness })
        .aggregate((a) => ({ n: a.count(), sum: a.sum((r) => r.v) }))
        .to('out');
    },
  });

/** Each partition's readings: every one at most `behind` ms behind the newest before it in its partition. */
const partitionArb = (behind: number) =>
  fc
    .array(
      fc.record({
        k: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
        v: fc.integer({ min: -50, max: 50 }),
        step: fc.integer({ min: -behind, max: 6_000 }),
      }),
      { maxLength: 25 },
    )
    .map((rows) => {
      let newest = BASE;
      let prev = BASE;
      return rows.map(({ k, v, step }) => {
        // From the previous record, but never more than `behind` below the partition's newest.
        const ts = Math.max(prev + step, newest - behind);
        newest = Math.max(newest, ts);
        prev = ts;
        return { k, v, ts };
      });
    });

test('no record within maxOutOfOrderMs + allowedLateness of its partition is ever late, across partitions and batchings', async () => {
  const caseArb = fc
    .record({
      bound: fc.integer({ min: 0, max: 8_000 }),
      lateness: fc.integer({ min: 0, max: 8_000 }),
      hop: fc.boolean(),
    })
    .chain((c) =>
      fc.record({
        c: fc.constant(c),
        parts: fc.tuple(...Array.from({ length: PARTITIONS }, () => partitionArb(c.bound + c.lateness + SLACK))),
        // Which partition goes next and how many records each batch takes: the interleaving and the batching.
        dice: fc.array(fc.nat(), { minLength: 1, maxLength: 200 }),
      }),
    );
  await fc.assert(
    fc.asyncProperty(caseArb, async ({ c: { bound, lateness, hop }, parts, dice }) => {
      let roll = 0;
      const next = (n: number) => dice[roll++ % dice.length]! % n;
      const at = parts.map(() => 0);
      const order: Array<TestInput<Reading> & { partition: number }> = [];
      while (at.some((i, p) => i < parts[p]!.length)) {
        const open = at.flatMap((i, p) => (i < parts[p]!.length ? [p] : []));
        const p = open[next(open.length)]!;
        const r = parts[p]![at[p]!++]!;
        order.push({ partition: p, key: r.k, value: r, timestamp: r.ts });
      }
      const driver = await TestDriver.forApp(appOf(bound, lateness, hop));
      for (let i = 0; i < order.length; ) {
        const n = 1 + next(8);
        driver.pipe('in', order.slice(i, i + n));
        i += n;
      }
      driver.end();

      assert.deepEqual(driver.outputs('in.late'), [], 'nothing late');
      const expected = new Map<string, { n: number; sum: number }>();
      for (const { value: r } of order) {
        const starts = hop
          ? [Math.floor(r.ts / (SIZE / 2)) * (SIZE / 2), Math.floor(r.ts / (SIZE / 2)) * (SIZE / 2) - SIZE / 2]
          : [Math.floor(r.ts / SIZE) * SIZE];
        for (const s of starts) {
          const k = `${r.k}@${s}`;
          const cur = expected.get(k) ?? { n: 0, sum: 0 };
          expected.set(k, { n: cur.n + 1, sum: cur.sum + r.v });
        }
      }
      const want = [...expected].map(([k, w]) => `${k}:${w.n}:${w.sum}`).toSorted();
      const got = driver
        .outputs<{ start: number; n: number; sum: number }>('out')
        .map((o) => `${o.key}@${o.value.start}:${o.value.n}:${o.value.sum}`)
        .toSorted();
      assert.deepEqual(got, want);
    }),
    { numRuns: 150 },
  );
});
