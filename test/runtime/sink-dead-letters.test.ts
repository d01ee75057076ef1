import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempBroker } from '../dashboard/fixtures.ts';
import { duckdbRows, sqliteRows } from '../helpers/cli.ts';
import { runnerFor } from '../helpers/sink-runner.ts';
import '../../src/connectors/sinks/index.ts';
import type { Broker } from '../../src/core/broker.ts';
import type { Sink, SinkWriteOptions } from '../../src/core/connector.ts';
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
 * A batch with a record the sink rejects, whose dead-letter produce fails once (a broker blip): the sink
 * hands its letters over before it commits (SinkWriteOptions.deadLetters), so the failed produce commits
 * nothing and the loop tries the whole batch again; the batch is written once, its letter once. (Before
 * letters went first, the batch was committed and the produce tried again alone: trying the whole batch
 * again wrote it twice into DuckDB, and lost the letter with SQLite, which found the batch stored.)
 */
for (const kind of ['sqlite', 'duckdb'] as const) {
  test(`${kind}: a dead-letter produce that fails once: the batch is tried again, written once, its letter once`, async () => {
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

/**
 * A batch whose write fails after its dead letters were written (the SQLite file's lock held by another
 * process past the busy timeout, a full disk): the loop tries the batch again, and the letters the first try
 * wrote are not written again. Each try wrote them anew, so a lock held for a minute put them on the
 * dead-letter topic once per try, where only a crash may write them twice.
 */
for (const kind of ['sqlite', 'duckdb'] as const) {
  test(`${kind}: a write that fails after its dead letters went out is tried again without writing them again`, async () => {
    const { broker, dir, topic, values } = await topicWithMisfits();
    const inner = createSink(kind, {
      path: join(dir, `out.${kind}`),
      table: 't',
      columns: [{ name: 'seq', type: 'integer' }],
    });
    let failures = 2;
    const sink = new Proxy(inner, {
      get(target, prop) {
        if (prop === 'write')
          return (records: StreamRecord[], positions: TopicPartitionOffset[], o?: SinkWriteOptions) =>
            target.write(records, positions, {
              deadLetters: async (rejected) => {
                await o!.deadLetters!(rejected);
                if (failures-- > 0)
                  throw new RunnelError(ErrorCodes.SINK_WRITE_FAILED, 'database is locked', { retriable: true });
              },
            });
        const v = Reflect.get(target, prop);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const { runner, stop } = runnerFor(broker, 'retried', topic, sink);
    const done = runner.run();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (runner.loop.positions.get(`${topic}\u00000`) ?? 0) < values.length)
      await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    await done;
    assert.equal(failures, -1, 'the write failed twice after its letters, then went through');
    const dead = (await broker.read(`${topic}.dlq`, 0, 0, 100)).map(
      (r) => (r.value as { source: { offset: number } }).source.offset,
    );
    assert.deepEqual(
      dead,
      values.flatMap((v, i) => (typeof v.seq === 'string' ? [i] : [])),
      'each dead letter once',
    );
    await broker.close();
  });
}

/**
 * A sink of one's own that hands deadLetters some of its refusals and returns more in `rejected`: those it did
 * not hand over are written after its write (SinkWriteOptions says so), not dropped because some were handed.
 */
test('a sink that hands deadLetters only some of its refusals: the others are written from rejected', async () => {
  const { broker } = await tempBroker();
  await broker.createTopic('t', { partitions: 1 });
  await broker.produce(
    't',
    Array.from({ length: 10 }, (_, i) => ({ key: null, value: { i } })),
  );
  const refuse = (r: StreamRecord) => ({
    record: r,
    error: new RunnelError(ErrorCodes.SINK_WRITE_FAILED, `refused ${(r.value as { i: number }).i}`),
  });
  const at = (records: StreamRecord[], i: number) => records.filter((r) => (r.value as { i: number }).i === i);
  const sink: Sink = {
    name: 'mine',
    target: 'memory',
    async open() {},
    async close() {},
    async write(records, _positions, o) {
      const early = at(records, 2).map(refuse);
      if (early.length > 0) await o?.deadLetters?.(early);
      return { rejected: [...early, ...at(records, 7).map(refuse)] };
    },
  };
  const { runner, stop, status } = runnerFor(broker, 'partial', 't', sink);
  const done = runner.run();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && (runner.loop.positions.get('t\u00000') ?? 0) < 10)
    await new Promise((r) => setTimeout(r, 20));
  stop.abort();
  await done;
  const dead = (await broker.read('t.dlq', 0, 0, 100)).map(
    (r) => (r.value as { source: { offset: number } }).source.offset,
  );
  assert.deepEqual(dead, [2, 7]);
  assert.equal(status.status.dlq, 2);
  await broker.close();
});
