/**
 * The state benchmark's pipeline: a keyed process step keeping a running count and sum per key (the
 * input topic's own keys), emitting nothing, so what is measured is the state: the store, its commits and
 * the memory it holds. BENCH_APP, BENCH_INPUT, BENCH_PARTITIONS as in windowed-count.ts.
 */
import { defineApp, valueStore } from '../../src/index.ts';

export default defineApp({
  name: process.env.BENCH_APP ?? 'bench-state',
  partitions: Number(process.env.BENCH_PARTITIONS ?? 1),
  pipeline(t) {
    t.stream(process.env.BENCH_INPUT ?? 'bench.state.in').process(
      { name: 'acc', stores: { acc: valueStore<{ n: number; sum: number }>() } },
      (v, ctx) => {
        const acc = ctx.stores.acc.get() ?? { n: 0, sum: 0 };
        ctx.stores.acc.set({ n: acc.n + 1, sum: acc.sum + (v as { v: number }).v });
      },
    );
  },
});
