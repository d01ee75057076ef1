import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/connectors/sinks/index.ts';
import { createSink } from '../../src/core/connector-registry.ts';
import { silentLogger } from '../../src/core/log.ts';
import { tempBroker } from '../dashboard/fixtures.ts';
import { sqliteRows } from '../helpers/cli.ts';
import { runnerFor } from '../helpers/sink-runner.ts';

test("a configured column that is a slip of the records' field is said once, at the first batch, naming the field", async () => {
  const { broker, dir } = await tempBroker();
  const topic = 'orders';
  await broker.createTopic(topic, { partitions: 1 });
  const n = 5 + Math.floor(Math.random() * 20);
  await broker.produce(
    topic,
    Array.from({ length: n }, (_, i) => ({ key: null, value: { country: i % 2 ? 'fr' : 'de', n: i } })),
  );
  const warnings: string[] = [];
  const log = { ...silentLogger, warn: (m: string) => warnings.push(m) };
  const path = join(dir, 'out.sqlite');
  const sink = createSink('sqlite', {
    path,
    table: 't',
    columns: [
      { name: 'contry', type: 'text' },
      { name: 'n', type: 'integer' },
    ],
  });
  const { runner, stop } = runnerFor(broker, 'shop', topic, sink, log);
  const done = runner.run();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && (runner.loop.positions.get(`${topic}\u0000${0}`) ?? 0) < n)
    await new Promise((r) => setTimeout(r, 50));
  stop.abort();
  await done;
  assert.deepEqual(
    warnings.filter((w) => /column/.test(w)),
    ['sqlite: column "contry" is in no record of orders (did you mean "country"?): it stays empty'],
  );
  // Written as configured all the same: the warning changes nothing.
  assert.equal(sqliteRows<{ c: number }>(path, 'SELECT count(*) AS c FROM t WHERE contry IS NULL')[0]!.c, n);
  await broker.close();
});
