import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRunnelError } from '../core/errors.ts';
import { TopologyBuilder, valueStore, z } from '../index.ts';
import { TestDriver } from './index.ts';

test('a misspelt topic or store name is refused with the likely name, not answered with nothing', () => {
  const t = new TopologyBuilder('shop');
  t.stream('shop.orders', { schema: z.object({ n: z.number() }) })
    .process({ name: 'seen', stores: { last: valueStore<number>() } }, (o, ctx) => {
      ctx.stores.last.set(o.n);
      ctx.emit(o);
    })
    .to('shop.enriched');
  const d = new TestDriver(t.compile());
  const refused = (f: () => unknown, pattern: RegExp) =>
    assert.throws(f, (err) => isRunnelError(err) && pattern.test(err.message));
  refused(
    () => d.pipe('shop.order', [{ value: { n: 1 } }]),
    /pipe\("shop.order"\): no step reads it \(did you mean "shop.orders"\?\)/,
  );
  refused(() => d.values('shop.enrichd'), /did you mean "shop.enriched"\?/);
  refused(() => d.state('seen.lst'), /state\("seen.lst"\): no such store \(did you mean "seen.last"\?\)/);
  // The right names, dead letters and late records included, answer (empty where nothing was written).
  d.pipe('shop.orders', [
    { key: 'a', value: { n: 1 } },
    { key: 'b', value: { n: 'x' } },
  ]);
  assert.deepEqual(d.values('shop.enriched'), [{ n: 1 }]);
  assert.equal(d.values('shop.orders.dlq').length, 1);
  assert.deepEqual(d.values('shop.orders.late'), []);
  assert.deepEqual([...d.state('seen.last')], [['a', 1]]);
});
