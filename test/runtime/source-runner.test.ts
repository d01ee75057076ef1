import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import { withWritten } from '../../src/core/broker.ts';
import type { Source } from '../../src/core/connector.ts';
import { ErrorCodes, RunnelError } from '../../src/core/errors.ts';
import type { Logger } from '../../src/core/log.ts';
import type { OutgoingRecord } from '../../src/core/record.ts';
import { runSource } from '../../src/core/runners/source-runner.ts';
import { StatusCell } from '../../src/core/status-cell.ts';

/** A source of one batch of `n` numbered records. */
function numbers(n: number): Source {
  return {
    name: 'numbers',
    async *read() {
      yield Array.from({ length: n }, (_, i) => ({ kind: 'record' as const, record: { value: { i } } }));
    },
  };
}

test('a produce that fails part-way is retried with only what the broker did not take, and reported', async () => {
  const broker = new LocalBroker(`local:${join(mkdtempSync(join(tmpdir(), 'runnel-source-')), 'b.db')}`);
  await broker.connect();
  const real = broker.produce.bind(broker);
  let failures = 0;
  // A real broker that goes away after taking the first 30 records of the first two tries, as Kafka
  // does when it stops between two chunks of one batch.
  broker.produce = async (topic: string, records: OutgoingRecord[]) => {
    if (topic === 'numbers' && failures < 2) {
      failures++;
      await real(topic, records.slice(0, 30));
      throw withWritten(new RunnelError(ErrorCodes.BROKER_UNAVAILABLE, 'broker went away', { retriable: true }), 30);
    }
    return real(topic, records);
  };
  const warnings: string[] = [];
  const log: Logger = { info() {}, debug() {}, error() {}, warn: (m: string) => warnings.push(m) };
  const status = new StatusCell({ app: 't', pipeline: 'p', pid: 1, component: 'source', name: 'numbers', topics: [] });
  await runSource({
    broker,
    source: numbers(100),
    topic: 'numbers',
    status,
    log,
    signal: new AbortController().signal,
  });
  const got = await broker.read('numbers', 0, 0, 1000);
  assert.deepEqual(
    got.map((r) => (r.value as { i: number }).i),
    Array.from({ length: 100 }, (_, i) => i),
    'every record once, in order',
  );
  assert.equal(status.status.records, 100);
  assert.equal(status.status.state, 'done');
  assert.match(warnings[0] ?? '', /^numbers: produce: RUNNEL_BROKER_UNAVAILABLE: broker went away \(retrying\)$/);
  await broker.close();
});

test('a produce error that retrying cannot help stops the source with it', async () => {
  const broker = new LocalBroker(`local:${join(mkdtempSync(join(tmpdir(), 'runnel-source-')), 'b.db')}`);
  await broker.connect();
  broker.produce = async () => {
    throw new RunnelError(ErrorCodes.CONFIG_INVALID, 'no such partition');
  };
  const status = new StatusCell({ app: 't', pipeline: 'p', pid: 1, component: 'source', name: 'numbers', topics: [] });
  await assert.rejects(
    runSource({
      broker,
      source: numbers(3),
      topic: 'numbers',
      status,
      log: { info() {}, debug() {}, error() {}, warn() {} },
      signal: new AbortController().signal,
    }),
    /no such partition/,
  );
  assert.equal(status.status.state, 'failed');
  await broker.close();
});

test('a source whose input ends is done; one stopped with input left is stopped', async () => {
  const broker = new LocalBroker(`local:${join(mkdtempSync(join(tmpdir(), 'runnel-source-')), 'b.db')}`);
  await broker.connect();
  await broker.createTopic('numbers');
  const endless: Source = {
    name: 'endless',
    async *read() {
      for (let i = 0; ; i++) yield [{ kind: 'record' as const, record: { value: { i } } }];
    },
  };
  const run = async (source: Source, stopAfter?: number) => {
    const status = new StatusCell({
      app: 't',
      pipeline: 'p',
      pid: 1,
      component: 'source',
      name: source.name,
      topics: [],
    });
    const stop = new AbortController();
    const log = { info() {}, debug() {}, error() {}, warn() {} };
    const running = runSource({ broker, source, topic: 'numbers', status, log, signal: stop.signal });
    if (stopAfter !== undefined) {
      while (status.status.records < stopAfter) await new Promise((r) => setTimeout(r, 5));
      stop.abort();
    }
    await running;
    return status.status;
  };
  const ended = await run(numbers(10));
  assert.deepEqual([ended.state, ended.records], ['done', 10]);
  const stopped = await run(endless, 20);
  assert.equal(stopped.state, 'stopped');
  assert.ok(stopped.records >= 20, `${stopped.records}`);
  await broker.close();
});

test("a source's records are handed over to the broker only when the source says they are its alone; dead letters never", async () => {
  for (const handsOver of [true, false, undefined]) {
    const broker = new LocalBroker(`local:${join(mkdtempSync(join(tmpdir(), 'runnel-source-')), 'b.db')}`);
    await broker.connect();
    const real = broker.produce.bind(broker);
    const seen: Array<[string, boolean | undefined]> = [];
    broker.produce = async (topic, records, options) => {
      seen.push([topic, options?.handOver]);
      return real(topic, records, options);
    };
    const source: Source = {
      ...numbers(3),
      ...(handsOver === undefined ? {} : { handsOver }),
      async *read() {
        yield [
          { kind: 'record' as const, record: { value: { i: 1 } } },
          {
            kind: 'invalid' as const,
            error: new RunnelError(ErrorCodes.INPUT_MALFORMED, 'bad'),
            raw: 'x',
            position: '2',
          },
        ];
      },
    };
    await runSource({
      broker,
      source,
      topic: 'numbers',
      status: new StatusCell({ app: 't', pipeline: 'p', pid: 1, component: 'source', name: 'numbers', topics: [] }),
      log: { info() {}, debug() {}, error() {}, warn() {} },
      signal: new AbortController().signal,
    });
    const forRecords = seen.filter(([t]) => t === 'numbers').map(([, h]) => h);
    assert.deepEqual(forRecords, [handsOver === true], `handsOver ${handsOver}`);
    assert.ok(
      seen.filter(([t]) => t !== 'numbers').every(([, h]) => !h),
      'dead letters are not handed over',
    );
    assert.equal(seen.filter(([t]) => t !== 'numbers').length, 1);
    await broker.close();
  }
});
