import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import type { Consumer } from '../../src/core/broker.ts';
import { isFenced, stateBackendSuite } from './state-backend-suite.ts';

stateBackendSuite(
  'local',
  async () => new LocalBroker(`local:${join(mkdtempSync(join(tmpdir(), 'runnel-state-')), 'broker.db')}`),
);

/** A fresh broker file with one store of one partition, its backend and a consumer to commit for. */
async function withStore(
  store: string,
  fn: (o: { b: LocalBroker; backend: ReturnType<LocalBroker['stateBackend']>; consumer: Consumer }) => Promise<void>,
): Promise<void> {
  const b = new LocalBroker(`local:${join(mkdtempSync(join(tmpdir(), 'runnel-statelog-')), 'broker.db')}`);
  await b.connect();
  try {
    await b.createTopic('in', { partitions: 1 });
    const consumer = b.consumer({ group: 'g', topics: ['in'] });
    const backend = b.stateBackend('app', 'g');
    await backend.prepare([{ name: store, partitions: 1 }]);
    await fn({ b, backend, consumer });
    await consumer.close();
  } finally {
    await b.close();
  }
}

for (const given of [false, true])
  test(`local: the state log is compacted once it outgrows its state, and restores the same values (${given ? "from the store's content the commit gives" : 'by folding the log'})`, async () => {
    await withStore('st', async ({ b, backend, consumer }) => {
      const expected = new Map<string, number>();
      let s = 9;
      const rand = () => {
        s = (s * 1103515245 + 12345) >>> 0;
        return s / 2 ** 32;
      };
      for (let commit = 0; commit < 150; commit++) {
        const changes = Array.from({ length: 500 }, () => {
          const key = `k${Math.floor(rand() * 1000)}`;
          if (rand() < 0.1) {
            expected.delete(key);
            return { key, value: undefined };
          }
          const value = Math.floor(rand() * 1e6);
          expected.set(key, value);
          return { key, value };
        });
        await backend.commit(consumer, {
          outputs: [],
          state: [
            {
              store: 'st',
              partition: 0,
              changes,
              held: expected.size,
              ...(given
                ? { latest: () => [...expected].map(([k, v]): [string, unknown, undefined] => [k, v, undefined]) }
                : {}),
            },
          ],
          positions: [],
        });
      }
      const logged = b.db.prepare('SELECT COUNT(*) AS rows, SUM(entries) AS entries FROM state_log').get() as {
        rows: number;
        entries: number;
      };
      assert.ok(logged.entries < 75_000, `75,000 changes were logged, ${logged.entries} kept after compaction`);
      const restored = new Map<string, unknown>();
      await backend.restore('st', 0, (k, v) => restored.set(k, v), []);
      assert.deepEqual(new Map([...restored].sort()), new Map([...expected].sort()));
    });
  });

test('local: a store of one large value rewritten at every commit is compacted by bytes, not left to grow', async () => {
  await withStore('model', async ({ b, backend, consumer }) => {
    // A model of ~90 KB, as the users app keeps one: 900 commits log ~80 MB of it.
    const model = (n: number) => ({ n, weights: Array.from({ length: 24_000 }, (_, i) => (i * n) % 997) });
    let written = 0;
    let most = 0;
    for (let n = 0; n < 900; n++) {
      const value = model(n);
      written += JSON.stringify(value).length;
      await backend.commit(consumer, {
        outputs: [],
        state: [{ store: 'model', partition: 0, changes: [{ key: 'model', value }], held: 1 }],
        positions: [],
      });
      if (n % 25 !== 24) continue; // length() reads every value: now and then is enough to see the peak
      const { bytes } = b.db.prepare('SELECT COALESCE(SUM(length(changes)), 0) AS bytes FROM state_log').get() as {
        bytes: number;
      };
      most = Math.max(most, bytes);
    }
    assert.ok(written > 70e6, `${written} bytes written`);
    assert.ok(most < written / 2, `the log reached ${most} bytes of the ${written} written`);
    const restored = new Map<string, unknown>();
    await backend.restore('model', 0, (k, v) => restored.set(k, v), []);
    assert.deepEqual(restored.get('model'), model(899));
  });
});

test('local: a compaction is part of its commit: one that fails leaves no outputs and no state of that commit', async () => {
  await withStore('st', async ({ b, backend, consumer }) => {
    await b.createTopic('out', { partitions: 1 });
    // Enough entries in one commit to compact at once; the store's content then cannot be written (a BigInt).
    const changes = Array.from({ length: 60_000 }, (_, i) => ({ key: `k${i % 10}`, value: i }));
    await assert.rejects(
      backend.commit(consumer, {
        outputs: [{ topic: 'out', records: [{ key: 'a', value: 1 }] }],
        state: [{ store: 'st', partition: 0, changes, held: 10, latest: () => [['k0', 10n, undefined]] }],
        positions: [],
      }),
      /cannot be stored as JSON/,
    );
    const { n } = b.db.prepare('SELECT COUNT(*) AS n FROM state_log').get() as { n: number };
    assert.equal(n, 0, 'the commit logged nothing');
    assert.equal((await b.read('out', 0, 0, 10)).length, 0, 'and appended nothing');
    // The same commit with a content that can be written goes through, compacted to it.
    await backend.commit(consumer, {
      outputs: [{ topic: 'out', records: [{ key: 'a', value: 1 }] }],
      state: [{ store: 'st', partition: 0, changes, held: 10, latest: () => [['k0', 59_990, undefined]] }],
      positions: [],
    });
    const restored = new Map<string, unknown>();
    await backend.restore('st', 0, (k, v) => restored.set(k, v), []);
    assert.deepEqual([...restored], [['k0', 59_990]]);
    assert.equal((await b.read('out', 0, 0, 10)).length, 1);
  });
});

test('local: a member that missed two membership changes starts its partitions afresh; a batch built before is refused', async () => {
  const b = new LocalBroker(`local:${join(mkdtempSync(join(tmpdir(), 'runnel-epoch-')), 'broker.db')}`);
  await b.connect();
  try {
    await b.createTopic('in', { partitions: 2 });
    const backend = b.stateBackend('app', 'g');
    await backend.prepare([{ name: 'st', partitions: 2 }]);
    const m = b.consumer({ group: 'g', topics: ['in'] });
    const before = m.assignment();
    assert.equal(before.length, 2, 'alone, it owns both partitions');
    const batch = (since: number | undefined) => ({
      outputs: [],
      state: [{ store: 'st', partition: 0, changes: [{ key: 'k', value: since ?? 0 }] }],
      positions: [{ topic: 'in', partition: 0, offset: 1, ...(since === undefined ? {} : { since }) }],
    });
    const p0 = before.find((a) => a.partition === 0)!;
    await backend.commit(m, batch(p0.since)); // nothing changed: commits
    // Another member comes and goes while this one does not look: partition 0 may have been someone else's.
    const k = b.consumer({ group: 'g', topics: ['in'] });
    k.assignment();
    await k.close();
    await assert.rejects(backend.commit(m, batch(p0.since)), (err: unknown) => isFenced(err));
    const after = m.assignment();
    const again = after.find((a) => a.partition === 0)!;
    assert.notEqual(again.since, p0.since, 'its ownership of partition 0 starts afresh');
    await assert.rejects(
      backend.commit(m, batch(p0.since)),
      (err: unknown) => isFenced(err),
      'the old batch stays refused',
    );
    await backend.commit(m, batch(again.since));
    await m.close();
  } finally {
    await b.close();
  }
});

test('local: a partition that goes to another member and comes back is a new ownership, seen or not', async () => {
  const b = new LocalBroker(`local:${join(mkdtempSync(join(tmpdir(), 'runnel-owner-')), 'broker.db')}`);
  await b.connect();
  try {
    await b.createTopic('in', { partitions: 2 });
    const m = b.consumer({ group: 'g', topics: ['in'] });
    const first = new Map(m.assignment().map((a) => [a.partition, a.since]));
    const k = b.consumer({ group: 'g', topics: ['in'] });
    k.assignment();
    // This member looks after each change: no gap, yet the partition it lost must not keep its old ownership.
    const kept = new Set(m.assignment().map((a) => a.partition));
    const lost = [0, 1].find((p) => !kept.has(p));
    assert.ok(lost !== undefined, 'the new member took a partition');
    await k.close();
    const back = m.assignment().find((a) => a.partition === lost);
    assert.ok(back, 'the partition came back');
    assert.notEqual(back.since, first.get(lost), 'a new ownership');
    const stay = [...kept][0]!;
    assert.equal(m.assignment().find((a) => a.partition === stay)?.since, first.get(stay), 'the kept one is unbroken');
    await m.close();
  } finally {
    await b.close();
  }
});
