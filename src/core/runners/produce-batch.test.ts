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
    { good: markPartitionEnds(good, 1, '{"http":"r"}'), bad },
    undefined,
    'produce',
    { signal: new AbortController().signal, log: silentLogger },
    {},
  );
  assert.deepEqual(calls, ['users.dlq:plain', 'users:plain,marked']);
});
