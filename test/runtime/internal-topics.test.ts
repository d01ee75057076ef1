import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changelogTopic } from '../../src/brokers/kafka/changelog.ts';
import { dlqTopic } from '../../src/core/dlq.ts';
import { isInternalTopic } from '../../src/core/internal-topics.ts';
import { tumbling, valueStore } from '../../src/index.ts';
import { TopologyBuilder } from '../../src/processing/dsl/topology.ts';
import { lateTopic } from '../../src/processing/engine/task.ts';

test("the engine's repartition topics and changelogs are internal; inputs, outputs, .dlq and .late are the user's", () => {
  const t = new TopologyBuilder('shop');
  const orders = t.stream('orders');
  // Two steps that key records anew: each reads back through a repartition topic of its own.
  orders
    .keyBy((v) => String((v as { user: string }).user))
    .window(tumbling(1000))
    .aggregate((a) => ({ n: a.count() }))
    .to('per-user');
  orders
    .keyBy((v) => String((v as { item: string }).item))
    .process({ name: 'items', stores: { seen: valueStore<number>() } }, () => {})
    .to('per-item');
  const processors = t.compile();
  const internal = processors.flatMap((p) => Object.keys(p.internalTopics));
  assert.equal(new Set(internal).size, 2, `two repartition topics: ${internal.join(', ')}`);
  for (const name of internal) assert.ok(isInternalTopic(name), name);
  assert.ok(isInternalTopic(changelogTopic('shop', 'items.seen')));
  assert.ok(isInternalTopic('_runnel.status'));
  for (const name of ['orders', 'per-user', 'per-item', dlqTopic('orders'), lateTopic('orders'), 'my-repartitioned'])
    assert.equal(isInternalTopic(name), false, name);
});
