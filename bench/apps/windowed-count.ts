/**
 * The benchmarks' windowed count as a runnel pipeline: records keyed by author, event time from the
 * value's `ts` (ms), a count per key per 10 s tumbling window, one final result per window when it
 * closes. The default export takes its topics and name from the environment, so each run of
 * `runnel consume bench/apps/windowed-count.ts` gets fresh state and groups: BENCH_APP, BENCH_INPUT,
 * BENCH_OUTPUT, BENCH_PARTITIONS.
 */
import { defineApp, tumbling } from '../../src/index.ts';

export function windowedCountApp(o: { name: string; input: string; output: string; partitions: number }) {
  return defineApp({
    name: o.name,
    partitions: o.partitions,
    pipeline(t) {
      t.stream(o.input, { eventTime: 'ts' })
        .window(tumbling(10_000), { name: 'count' })
        .aggregate((a) => ({ n: a.count() }))
        .to(o.output);
    },
  });
}

export default windowedCountApp({
  name: process.env.BENCH_APP ?? 'bench-wc',
  input: process.env.BENCH_INPUT ?? 'bench.wc.in',
  output: process.env.BENCH_OUTPUT ?? 'bench.wc.out',
  partitions: Number(process.env.BENCH_PARTITIONS ?? 1),
});
