import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Broker } from '../broker.ts';
import { silentLogger } from '../log.ts';
import type { OutgoingRecord } from '../record.ts';
import { produceBatch } from './replay-resume.ts';
import { markPartitionEnds, RUN_HEADER } from './run-mark.ts';

/**
 * A batch of a source that carries its position in its run mark (the http source): the mark on the records
 * says the next run goes on past the whole batch, its dead letters too, so those go first. Records first,
 * a kill -9 before the dead letters lost them for good (the next run went on from the mark).
 */
test('a batch without a replay mark: its dead letters are produced before its records (and their run mark)', async () => {
  const calls: string[] = [];
  const broker = {
    atomicProduce: true,
    produce: async (topic: string, records: OutgoingRecord[]) => {
      calls.push(`${topic}:${records.map((r) => (r.headers?.[RUN_HEADER] ? 'marked' : 'plain')).join(',')}`);
      return [];
    },
  } as unknown as Broker;
  const good: OutgoingRecord[] = [
    { key: null, value: { n: 1 } },
    { key: null, value: { n: 2 } },
  ];
  const bad: OutgoingRecord[] = [{ key: null, value: { raw: 'x' } }];
  await produceBatch(
    broker,
    'users',
    { good: markPartitionEnds(good, 1, '{"http":"r"}').records, bad },
    undefined,
    'produce',
    { signal: new AbortController().signal, log: silentLogger },
    {},
  );
  assert.deepEqual(calls, ['users.dlq:plain', 'users:plain,marked']);
});

/**
 * On a broker that writes a call in several requests (Kafka: by size, by leader), a run mark that landed
 * before the rest of its batch told the next run to go on past records a kill -9 had lost. The marked
 * records, each the last of its partition, go in a call of their own once the rest is acknowledged; the
 * order of each partition's records is the batch's.
 */
test('a run-marked batch on a broker that writes in several requests: the marked records go last, alone, order per partition kept', async () => {
  const calls: OutgoingRecord[][] = [];
  const broker = {
    atomicProduce: false,
    produce: async (_topic: string, records: OutgoingRecord[]) => {
      calls.push(records);
      return [];
    },
  } as unknown as Broker;
  const partitions = 3;
  const good: OutgoingRecord[] = Array.from({ length: 40 }, (_, i) => ({
    key: null,
    value: { n: i },
    partition: (i * 7) % partitions,
  }));
  const { records, marked } = markPartitionEnds(good, partitions, '{"http":"r"}');
  await produceBatch(
    broker,
    'users',
    { good: records, bad: [], runMarked: marked },
    undefined,
    'produce',
    { signal: new AbortController().signal, log: silentLogger },
    {},
  );
  assert.equal(calls.length, 2);
  // The last call holds the marked records and only them: one per partition the batch reached.
  assert.ok(calls[1]!.every((r) => r.headers?.[RUN_HEADER] !== undefined));
  assert.ok(calls[0]!.every((r) => r.headers?.[RUN_HEADER] === undefined));
  assert.equal(calls[1]!.length, new Set(good.map((r) => r.partition)).size);
  // Each partition's records arrive in the batch's order (the brute-force reference: filter the batch).
  const sent = calls.flat();
  for (let p = 0; p < partitions; p++)
    assert.deepEqual(
      sent.filter((r) => r.partition === p).map((r) => (r.value as { n: number }).n),
      good.filter((r) => r.partition === p).map((r) => (r.value as { n: number }).n),
    );
});
