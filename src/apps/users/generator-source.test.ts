import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalBroker } from '../../brokers/local/local-broker.ts';
import type { SourceContext, SourceItem } from '../../core/connector.ts';
import { silentLogger } from '../../core/log.ts';
import { UsersGeneratorSource } from './generator-source.ts';

/**
 * A kill -9 after a produce and before the position file was written, then a restart: the restart goes on
 * after the newest user on the topic, whatever pace either run had (a run flat out makes batches of 1000,
 * one at 50 users/s batches of 5: looking only this run's batch ahead missed the crashed batch's end).
 */
for (const [first, second] of [
  [0, 50],
  [0, 0],
  [50, 0],
] as const) {
  test(`users generator: killed after a produce at --rate ${first}, restarted at --rate ${second}: nothing again`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runnel-users-gen-'));
    const b = new LocalBroker(`local:${join(dir, 'broker.db')}`);
    await b.connect();
    await b.createTopic('users', { partitions: 1 });
    const ctxOf = (signal: AbortSignal): SourceContext => ({
      signal,
      log: silentLogger,
      destination: { topic: 'users' },
      newest: async () => {
        const end = (await b.describeTopic('users'))!.partitions[0]!.endOffset;
        return end === 0 ? [] : (await b.read('users', 0, end - 1, 1)).map((r) => r.value);
      },
    });
    const produce = (batch: SourceItem[]) =>
      b.produce(
        'users',
        batch.flatMap((i) => (i.kind === 'record' ? [i.record] : [])),
      );
    const run1 = new UsersGeneratorSource({ seed: 's', pageSize: 5000, rate: first, stateDir: dir });
    const it = run1.read(ctxOf(new AbortController().signal))[Symbol.asyncIterator]();
    const b1 = (await it.next()).value as SourceItem[];
    await produce(b1);
    await run1.committed(b1.length);
    const b2 = (await it.next()).value as SourceItem[];
    await produce(b2); // killed here: committed() never ran
    const run2 = new UsersGeneratorSource({ seed: 's', pageSize: 5000, rate: second, stateDir: dir });
    const next = (await run2.read(ctxOf(new AbortController().signal))[Symbol.asyncIterator]().next())
      .value as SourceItem[];
    const onTopic = new Set((await b.read('users', 0, 0, 10_000)).map((r) => r.key));
    const again = next.filter((i) => i.kind === 'record' && onTopic.has(i.record.key as string)).length;
    assert.equal(again, 0, `the restart's first batch repeats ${again} of ${next.length} users on the topic`);
    // And skips nothing: an uninterrupted sequence goes on with exactly the user after the topic's newest.
    const whole = new UsersGeneratorSource({
      seed: 's',
      pageSize: 5000,
      rate: 0,
      stateDir: mkdtempSync(join(tmpdir(), 'runnel-users-ref-')),
    });
    const ref: string[] = [];
    const alone: SourceContext = {
      signal: new AbortController().signal,
      log: silentLogger,
      destination: { topic: 'ref' },
    };
    for await (const batch of whole.read(alone)) {
      for (const i of batch) if (i.kind === 'record') ref.push(i.record.key as string);
      if (ref.length > onTopic.size) break;
    }
    const first2 = next.find((i) => i.kind === 'record');
    assert.equal(first2?.kind === 'record' ? first2.record.key : undefined, ref[onTopic.size]);
    await b.close();
  });
}
