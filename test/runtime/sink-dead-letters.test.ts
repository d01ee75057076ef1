import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempBroker } from '../dashboard/fixtures.ts';
import { duckdbRows, sqliteRows } from '../helpers/cli.ts';
import { runnerFor } from '../helpers/sink-runner.ts';
import '../../src/connectors/sinks/index.ts';
import type { Broker } from '../../src/core/broker.ts';
import type { Sink } from '../../src/core/connector.ts';
import { createSink } from '../../src/core/connector-registry.ts';
import { ErrorCodes, RunnelError } from '../../src/core/errors.ts';
import { silentLogger } from '../../src/core/log.ts';
import type { StreamRecord, TopicPartitionOffset } from '../../src/core/record.ts';

/** `broker` whose produce to `<topic>.dlq` throws a retriable error while `fails()` says so. */
function dlqFailing(broker: Broker, topic: string, fails: () => boolean): Broker {
  return new Proxy(broker, {
    get(target, prop, receiver) {
      if (prop === 'produce')
        return async (name: string, records: never[], o?: never) => {
          if (name === `${topic}.dlq` && fails())
            throw new RunnelError(ErrorCodes.BROKER_UNAVAILABLE, 'broker away', { retriable: true });
          return target.produce(name, records, o);
        };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as unknown as Broker;
}

/**
 * A batch with a record the sink rejects: the sink writes the rest and its positions, then the runner
 * produces the dead letter. When that produce fails once (a broker blip), only the produce is tried again:
 * trying the whole batch again wrote it twice into DuckDB, and lost the dead letter with SQLite (which,
 * finding the batch stored, rejected nothing the second time).
 */
for (const kind of ['sqlite', 'duckdb'] as const) {
  test(`${kind}: a dead-letter produce that fails once is tried again alone; the batch is written once`, async () => {
    const { broker, dir } = await tempBroker();
    const topic = 'blip';
    await broker.createTopic(topic, { partitions: 1 });
    const good = 5 + Math.floor(Math.random() * 20);
    await broker.produce(topic, [
      ...Array.from({ length: good }, (_, i) => ({ key: null, value: { seq: i } })),
      { key: null, value: { seq: 'not a number' } },
    ]);
    let failures = 1;
    const flaky = dlqFailing(broker, topic, () => failures-- > 0);
    const path = join(dir, `out.${kind}`);
    const sink = createSink(kind, { path, table: 't', columns: [{ name: 'seq', type: 'integer' }] });
    const { runner, stop } = runnerFor(flaky, 'blip', topic, sink);
    const done = runner.run();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (runner.loop.positions.get(`${topic}\u0000${0}`) ?? 0) < good + 1)
      await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    await done;
    assert.equal(failures, -1, 'the dead-letter produce failed once, then went through');
    const rows =
      kind === 'sqlite' ? sqliteRows(path, 'SELECT seq FROM t') : await duckdbRows(path, 'SELECT seq FROM t');
    assert.deepEqual(
      rows.map((r) => Number(r.seq)).sort((a, b) => a - b),
      Array.from({ length: good }, (_, i) => i),
    );
    const dead = await broker.read(`${topic}.dlq`, 0, 0, 100);
    assert.equal(dead.length, 1, 'the rejected record, once');
    await broker.close();
  });
}

/** A broker whose topic `down` holds 30 `{ seq }` records, misfits (a string seq) at random places, at least one. */
async function topicWithMisfits() {
  const { broker, dir } = await tempBroker();
  const topic = 'down';
  await broker.createTopic(topic, { partitions: 1 });
  const one = Math.floor(Math.random() * 30);
  const values = Array.from({ length: 30 }, (_, i) => ({ seq: i === one || Math.random() < 0.2 ? `bad ${i}` : i }));
  await broker.produce(
    topic,
    values.map((value) => ({ key: null, value })),
  );
  return { broker, dir, topic, values };
}

/** `sink` as a user's own sink would be: it returns its refusals and never writes them itself. */
function lettersAfter(sink: Sink): Sink {
  return new Proxy(sink, {
    get(target, prop) {
      if (prop === 'write')
        return (records: StreamRecord[], positions: TopicPartitionOffset[]) => target.write(records, positions);
      // The target as `this`: its getters read private fields, which a proxy does not have.
      const v = Reflect.get(target, prop);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/**
 * The built-in sinks write a batch's dead letters before they commit it (SinkWriteOptions.deadLetters): with
 * the broker taking none (down) and then a stop, nothing of the batch is committed, and the next run writes
 * its rows and every dead letter, once. Before, the batch was committed first and its letters were lost
 * (to a kill -9 between the two, or to this stop).
 */
for (const kind of ['sqlite', 'duckdb'] as const) {
  test(`${kind}: stopped while its dead letters cannot be written, it commits nothing of the batch; the next run writes rows and letters once`, async () => {
    const { broker, dir, topic, values } = await topicWithMisfits();
    const path = join(dir, `out.${kind}`);
    const make = () => createSink(kind, { path, table: 't', columns: [{ name: 'seq', type: 'integer' }] });
    const errors: string[] = [];
    const log = { ...silentLogger, error: (m: string) => errors.push(m) };
    const down = runnerFor(
      dlqFailing(broker, topic, () => true),
      'down',
      topic,
      make(),
      log,
    );
    const stopped = down.runner.run().catch(() => {});
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && down.status.status.state !== 'retrying')
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(down.status.status.state, 'retrying', 'the batch is retried while its dead letters cannot be written');
    down.stop.abort();
    await stopped;
    assert.deepEqual(errors, [], 'nothing is lost, so nothing to say');
    const sink = make();
    await sink.open({ signal: new AbortController().signal, log: silentLogger });
    assert.deepEqual(await sink.storedPositions!(), [], 'nothing of the batch committed');
    await sink.close();
    // The broker back: the next run writes the batch whole, and each dead letter once.
    const up = runnerFor(broker, 'down', topic, make());
    const done = up.runner.run();
    while (Date.now() < deadline && (up.runner.loop.positions.get(`${topic}\u0000${0}`) ?? 0) < values.length)
      await new Promise((r) => setTimeout(r, 20));
    up.stop.abort();
    await done;
    const rows =
      kind === 'sqlite' ? sqliteRows(path, 'SELECT seq FROM t') : await duckdbRows(path, 'SELECT seq FROM t');
    const good = values.flatMap((v) => (typeof v.seq === 'number' ? [v.seq] : []));
    assert.deepEqual(
      rows.map((r) => Number(r.seq)).sort((a, b) => a - b),
      good,
    );
    const dead = (await broker.read(`${topic}.dlq`, 0, 0, 100)).map(
      (r) => (r.value as { source: { offset: number } }).source.offset,
    );
    assert.deepEqual(
      dead,
      values.flatMap((v, i) => (typeof v.seq === 'string' ? [i] : [])),
    );
    await broker.close();
  });
}

/**
 * A sink that leaves its dead letters to the runtime (a user's own): the broker takes none (down), and the
 * user presses Ctrl-C. The batch is stored in the sink, so no restart writes them. The stop says so, and
 * where the rejected records are on the topic.
 */
test('a sink of its own, stopped while its dead letters cannot be written: an error line names how many and where their records are', async () => {
  const { broker, dir, topic, values } = await topicWithMisfits();
  const badOffsets = values.flatMap((v, i) => (typeof v.seq === 'string' ? [i] : []));
  const errors: string[] = [];
  const log = { ...silentLogger, error: (m: string) => errors.push(m) };
  const sink = lettersAfter(
    createSink('sqlite', {
      path: join(dir, 'out.sqlite'),
      table: 't',
      columns: [{ name: 'seq', type: 'integer' }],
    }),
  );
  const { runner, status, stop } = runnerFor(
    dlqFailing(broker, topic, () => true),
    'down',
    topic,
    sink,
    log,
  );
  const done = runner.run().catch(() => {});
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && status.status.state !== 'retrying') await new Promise((r) => setTimeout(r, 20));
  assert.equal(status.status.state, 'retrying', 'the dead-letter produce is being retried');
  stop.abort();
  await done;
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0]!, new RegExp(`${badOffsets.length} dead letter\\(s\\) not written to ${topic}\\.dlq`));
  assert.ok(
    errors[0]!.endsWith(
      `still on ${topic} at partition 0 ${badOffsets.length === 1 ? 'offset' : 'offsets'} ${placesList(badOffsets)}`,
    ),
    errors[0] ?? '',
  );
  await broker.close();
});

const placesList = (offsets: number[]) =>
  offsets.slice(0, 5).join(', ') + (offsets.length > 5 ? ` and ${offsets.length - 5} more` : '');
