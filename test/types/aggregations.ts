// Type tests: `npm run typecheck` compiles this file; every @ts-expect-error line must stay an error.
import {
  type AggregatorSpec,
  aggregate,
  count,
  type Extractors,
  mean,
  on,
  quantiles,
  topK,
} from '../../src/processing/aggregations/index.ts';

interface Reading {
  temp: number;
  who: string;
}
class W<V> {
  agg<const S extends AggregatorSpec>(spec: S, ex: Extractors<V, S>) {
    return aggregate<V, S>(spec, ex);
  }
}
const a = new W<Reading>().agg(
  { n: count(), t: mean(), q: quantiles([0.5, 0.99]), top: topK(3) },
  { t: (r) => r.temp, q: (r) => r.temp, top: (r) => r.who },
);
const r = a.result(a.init());
const x: number = r.n + r.t + r.q.p99 + (r.top[0]?.count ?? 0);
// @ts-expect-error misspelt
r.tt;
// @ts-expect-error missing extractor for mean
new W<Reading>().agg({ n: count(), t: mean() }, {});
// @ts-expect-error misspelt field
new W<Reading>().agg({ t: mean() }, { t: (r) => r.tmp });
const b = aggregate({ t: mean() });
const y: number = b.result(b.init()).t;
b.add(b.init(), 3);
// @ts-expect-error wrong input
b.add(b.init(), 'x');
const c = aggregate({ n: count(), t: on((r: Reading) => r.temp, mean()) });
c.add(c.init(), { temp: 1, who: 'a' });
// @ts-expect-error not a reading
c.add(c.init(), { tmp: 1 });
console.log(x, y);
