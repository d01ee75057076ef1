import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { TestDriver } from '../../testing/index.ts';
import { tumbling } from '../windows/window-spec.ts';
import { valueStore } from './stores.ts';
import { TopologyBuilder } from './topology.ts';

const Msg = z.object({ k: z.string() });

/** A step that counts per key and, at the end of each batch, emits each touched key's running total. */
function flushTopology() {
  const t = new TopologyBuilder('flush-test', { partitions: 1 });
  t.stream('in', { schema: Msg })
    .keyBy((m) => m.k, { name: 'by-k', repartition: false })
    .process(
      {
        name: 'totals',
        stores: { n: valueStore<number>() },
        flush(ctx) {
          ctx.emit({ k: ctx.key, n: ctx.stores.n.get() ?? 0 });
        },
      },
      (_m, ctx) => {
        ctx.stores.n.set((ctx.stores.n.get() ?? 0) + 1);
      },
    )
    .to('out');
  return t.compile();
}

describe('process step flush', () => {
  it('runs once per key a batch touched, in the order of each key last record, with the state as the batch left it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { maxLength: 40 }), { maxLength: 8 }),
        (batches) => {
          const d = new TestDriver(flushTopology());
          const totals = new Map<string, number>();
          const expected: Array<{ k: string; n: number }> = [];
          let at = 0;
          for (const keys of batches) {
            d.pipe(
              'in',
              keys.map((k) => ({ key: k, value: { k }, timestamp: at++ })),
            );
            // The reference: each key once, ordered by the index of its last record in the batch.
            const last = new Map<string, number>();
            keys.forEach((k, i) => {
              totals.set(k, (totals.get(k) ?? 0) + 1);
              last.set(k, i);
            });
            for (const [k] of [...last].sort((x, y) => x[1] - y[1])) expected.push({ k, n: totals.get(k)! });
          }
          assert.deepEqual(d.values<{ k: string; n: number }>('out'), expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('what a step sees of a record', () => {
  it("ctx.origin and a late record's source are plain objects naming where the record was read", () => {
    const t = new TopologyBuilder('origin-test', { partitions: 1 });
    const s = t.stream('in', { schema: Msg, eventTime: (m) => Number(m.k) * 1000 });
    s.keyBy((m) => m.k, { name: 'by-k', repartition: false })
      .process({ name: 'where', stores: {} }, (_m, ctx) => ctx.emit({ origin: ctx.origin }))
      .to('where');
    s.keyBy((m) => m.k, { name: 'by-k2', repartition: false })
      .window(tumbling(1000))
      .aggregate((a) => ({ n: a.count() }))
      .to('counts');
    const d = new TestDriver(t.compile());
    // Event times 5 s, then 1 s: the second record's window closed before it came.
    d.pipe('in', [
      { key: 'a', value: { k: '5' } },
      { key: 'b', value: { k: '1' } },
    ]);
    assert.deepStrictEqual(
      d.values<{ origin: unknown }>('where').map((v) => v.origin),
      [0, 1].map((offset) => ({ topic: 'in', partition: 0, offset })),
    );
    const late = d.values<{ source: unknown }>('in.late');
    assert.equal(late.length, 1);
    assert.deepStrictEqual(late[0]!.source, { topic: 'in', partition: 0, offset: 1 });
  });
});
