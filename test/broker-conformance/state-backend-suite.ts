/**
 * One contract for every StateBackend (local: one SQLite transaction; kafka: one Kafka transaction), so a
 * stateful pipeline behaves the same on both: a commit writes outputs, changed keys and group positions all
 * together or not at all, a restore hands back each key's latest committed value, and a member that a
 * rebalance left behind is fenced. References are computed here, in plain Maps.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import type { AtomicCommit, StateBackend, StatefulBroker, StoreChanges } from '../../src/core/broker.ts';
import { ErrorCodes, isRunnelError } from '../../src/core/errors.ts';
import type { StreamRecord } from '../../src/core/record.ts';
import { needService } from '../helpers/services.ts';
import { pollN, unique } from './suite.ts';

export interface StateBackendSuiteOptions {
  available?: () => Promise<boolean>;
  service?: { name: string; howToGet: string };
  /** Keys in the many-changes test (spread over 4 partitions). */
  manyKeys?: number;
}

type Entry = { value: unknown; expiresAt: number | undefined };

/** Every live entry of one store partition, as restore hands them out. */
export async function restored(
  b: StateBackend,
  store: string,
  partition: number,
  inputs: readonly string[] = [],
): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  await b.restore(
    store,
    partition,
    (key, value, expiresAt) => {
      assert.ok(!out.has(key), `restore handed out ${key} twice`);
      out.set(key, { value, expiresAt });
    },
    inputs,
  );
  return out;
}

/** Everything a read-committed reader finds on a topic's partitions. */
export async function committedRecords(b: StatefulBroker, topic: string, partitions: number): Promise<StreamRecord[]> {
  const out: StreamRecord[] = [];
  for (let p = 0; p < partitions; p++) out.push(...(await b.read(topic, p, 0, 1_000_000)));
  return out;
}

export async function committedOffsets(b: StatefulBroker, group: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const g of await b.listGroups(group)) out[`${g.topic}:${g.partition}`] = g.committed;
  return out;
}

/** Next offsets after what `records` covers, per partition: what a processor commits after the batch. */
export function positionsAfter(records: StreamRecord[]): AtomicCommit['positions'] {
  const next = new Map<string, { topic: string; partition: number; offset: number }>();
  for (const r of records) {
    const k = `${r.topic}:${r.partition}`;
    const cur = next.get(k);
    if (!cur || r.offset + 1 > cur.offset)
      next.set(k, { topic: r.topic, partition: r.partition, offset: r.offset + 1 });
  }
  return [...next.values()];
}

/**
 * Retries `read` until it deep-equals `expected` (then asserts it): Kafka answers a transaction's commit
 * before it has written the commit markers, so a reader may see it a moment later.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  expected: T,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let got = await read();
  while (!isDeepStrictEqual(got, expected) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    got = await read();
  }
  assert.deepEqual(got, expected, what);
}

const values = async (b: StatefulBroker, topic: string, partitions = 1) =>
  (await committedRecords(b, topic, partitions)).map((r) => r.value);

export function isFenced(err: unknown): boolean {
  return isRunnelError(err) && err.code === ErrorCodes.FENCED;
}

export function stateBackendSuite(
  name: string,
  makeBroker: () => Promise<StatefulBroker>,
  opts: StateBackendSuiteOptions = {},
) {
  let availability: Promise<boolean> | undefined;
  const manyKeys = opts.manyKeys ?? 100_000;

  async function open(t: TestContext): Promise<StatefulBroker | undefined> {
    availability ??= opts.available ? opts.available() : Promise.resolve(true);
    const service = opts.service ?? { name, howToGet: '' };
    if (!needService(t, service.name, await availability, service.howToGet)) return undefined;
    const b = await makeBroker();
    await b.connect();
    t.after(() => b.close());
    return b;
  }

  /** An input topic with one record per partition, and a member of `group` that has read them all. */
  async function member(t: TestContext, b: StatefulBroker, partitions: number) {
    const input = unique('in');
    const group = unique('g');
    await b.createTopic(input, { partitions });
    await b.produce(
      input,
      Array.from({ length: partitions }, (_, p) => ({ key: `k${p}`, value: { p }, partition: p })),
    );
    const consumer = b.consumer({ group, topics: [input] });
    t.after(() => consumer.close());
    const read = await pollN(consumer, partitions);
    assert.equal(read.length, partitions, 'the member read one record per partition');
    return { input, group, consumer, read };
  }

  async function backend(t: TestContext, b: StatefulBroker, app: string, group: string, stores: string[], n: number) {
    const s = b.stateBackend(app, group);
    t.after(() => s.close());
    await s.prepare(stores.map((name) => ({ name, partitions: n })));
    return s;
  }

  describe(`state backend conformance: ${name}`, { timeout: 180_000 }, () => {
    test('a commit round-trips: latest value per key, deletes gone, TTL kept, outputs and positions committed', async (t) => {
      const b = await open(t);
      if (!b) return;
      const { input, group, consumer, read } = await member(t, b, 2);
      const app = unique('app');
      const out = unique('out');
      const s = await backend(t, b, app, group, ['counts', 'seen'], 2);
      await s.prepare([
        { name: 'counts', partitions: 2 },
        { name: 'seen', partitions: 2 },
      ]); // idempotent
      const expiresAt = Date.now() + 3_600_000;
      await s.commit(consumer, {
        outputs: [{ topic: out, records: [{ key: 'a', value: { n: 1 } }] }],
        state: [
          {
            store: 'counts',
            partition: 0,
            changes: [
              { key: 'a', value: 1 },
              { key: 'b', value: { deep: [1, 'two', null] } },
              { key: 'gone', value: 'soon' },
              { key: 'nullish', value: null },
            ],
          },
          { store: 'counts', partition: 1, changes: [{ key: 'x', value: 'p1', expiresAt }] },
        ],
        positions: positionsAfter(read.filter((r) => r.partition === 0)),
      });
      await s.commit(consumer, {
        outputs: [{ topic: out, records: [{ key: 'b', value: { n: 2 } }] }],
        state: [
          {
            store: 'counts',
            partition: 0,
            changes: [
              { key: 'a', value: 2 },
              { key: 'gone', value: undefined },
            ],
          },
          { store: 'seen', partition: 1, changes: [{ key: 'x', value: true }] },
        ],
        positions: positionsAfter(read),
      });

      // A fresh backend, as a worker that starts with nothing, restores from what was committed.
      const fresh = b.stateBackend(app, group);
      t.after(() => fresh.close());
      assert.deepEqual(
        await restored(fresh, 'counts', 0),
        new Map<string, Entry>([
          ['b', { value: { deep: [1, 'two', null] }, expiresAt: undefined }],
          ['nullish', { value: null, expiresAt: undefined }],
          ['a', { value: 2, expiresAt: undefined }],
        ]),
      );
      assert.deepEqual(await restored(fresh, 'counts', 1), new Map([['x', { value: 'p1', expiresAt }]]));
      assert.deepEqual(await restored(fresh, 'seen', 0), new Map());
      assert.deepEqual(await restored(fresh, 'seen', 1), new Map([['x', { value: true, expiresAt: undefined }]]));
      const r = await fresh.restore('counts', 0, () => {}, []);
      assert.equal(r.entries, 3);
      assert.ok(r.ms >= 0);

      await eventually(() => values(b, out), [{ n: 1 }, { n: 2 }], 'both outputs, in commit order');
      await eventually(
        () => committedOffsets(b, group),
        { [`${input}:0`]: 1, [`${input}:1`]: 1 },
        'the group positions',
      );
    });

    test('a commit that fails writes nothing: no outputs, no state, positions unchanged', async (t) => {
      const b = await open(t);
      if (!b) return;
      const { input, group, consumer, read } = await member(t, b, 1);
      const app = unique('app');
      const out = unique('out');
      await b.createTopic(out, { partitions: 1 });
      const s = await backend(t, b, app, group, ['st'], 1);
      const bad: StoreChanges = {
        store: 'st',
        partition: 0,
        changes: [
          { key: 'fine', value: 1 },
          { key: 'bad', value: { big: 10n } },
        ],
      };
      await assert.rejects(
        s.commit(consumer, {
          outputs: [{ topic: out, records: [{ key: 'o', value: 1 }] }],
          state: [bad],
          positions: positionsAfter(read),
        }),
        (err: unknown) => isRunnelError(err) && err.code === ErrorCodes.PROCESSING_FAILED,
      );
      assert.deepEqual(await committedRecords(b, out, 1), []);
      assert.deepEqual(await restored(s, 'st', 0), new Map());
      assert.deepEqual(await committedOffsets(b, group), {});
      // The backend still works after the failure, and once its next commit shows, the failed one never will.
      await s.commit(consumer, {
        outputs: [{ topic: out, records: [{ key: 'o', value: 'ok' }] }],
        state: [{ ...bad, changes: [{ key: 'fine', value: 1 }] }],
        positions: positionsAfter(read),
      });
      await eventually(() => values(b, out), ['ok'], 'only the good commit');
      assert.deepEqual(await restored(s, 'st', 0), new Map([['fine', { value: 1, expiresAt: undefined }]]));
      await eventually(() => committedOffsets(b, group), { [`${input}:0`]: 1 }, 'the group positions');
    });

    test('a member a rebalance took a partition from is fenced, and its commit writes nothing', async (t) => {
      const b = await open(t);
      if (!b) return;
      const { input, group, consumer: first, read } = await member(t, b, 2);
      assert.deepEqual(first.assignment().length, 2);
      const app = unique('app');
      const out = unique('out');
      await b.createTopic(out, { partitions: 1 });
      const s1 = await backend(t, b, app, group, ['st'], 2);
      const second = b.consumer({ group, topics: [input] });
      t.after(() => second.close());
      const deadline = Date.now() + 60_000;
      const secondRead: StreamRecord[] = [];
      while ((first.assignment().length !== 1 || second.assignment().length !== 1) && Date.now() < deadline) {
        const [, got] = await Promise.all([first.poll({ maxWaitMs: 100 }), second.poll({ maxWaitMs: 100 })]);
        secondRead.push(...got);
      }
      assert.equal(second.assignment().length, 1, 'the rebalance gave the second member a partition');
      const moved = second.assignment()[0]!.partition;

      // The first member still holds the batch it read from both partitions, and commits it all.
      const zombie: AtomicCommit = {
        outputs: [{ topic: out, records: [{ key: 'z', value: 'zombie' }] }],
        state: [0, 1].map((p) => ({ store: 'st', partition: p, changes: [{ key: `z${p}`, value: 'zombie' }] })),
        positions: positionsAfter(read),
      };
      await assert.rejects(s1.commit(first, zombie), isFenced);
      assert.deepEqual(await committedRecords(b, out, 1), []);
      assert.deepEqual(await restored(s1, 'st', 0), new Map());
      assert.deepEqual(await restored(s1, 'st', 1), new Map());
      assert.deepEqual(await committedOffsets(b, group), {});

      // The new owner reads the moved partition from the start and commits it.
      const s2 = await backend(t, b, app, group, ['st'], 2);
      const got = secondRead.length > 0 ? secondRead : await pollN(second, 1);
      assert.deepEqual(
        got.map((r) => [r.partition, r.offset]),
        [[moved, 0]],
      );
      await s2.commit(second, {
        outputs: [{ topic: out, records: [{ key: 'n', value: 'new owner' }] }],
        state: [{ store: 'st', partition: moved, changes: [{ key: 'n', value: 1 }] }],
        positions: positionsAfter(got),
      });
      // Its output showing means the zombie's (written before it, had it been) is settled: it never shows.
      await eventually(() => values(b, out), ['new owner'], "only the new owner's output");
      assert.deepEqual(await restored(s2, 'st', moved), new Map([['n', { value: 1, expiresAt: undefined }]]));
      assert.deepEqual(await restored(s2, 'st', 1 - moved), new Map());
      await eventually(() => committedOffsets(b, group), { [`${input}:${moved}`]: 1 }, 'only the new owner positions');
    });

    test(`many changes across partitions (${manyKeys} keys) commit and restore exactly`, async (t) => {
      const b = await open(t);
      if (!b) return;
      const P = 4;
      const { group, consumer, read } = await member(t, b, P);
      const app = unique('app');
      const s = await backend(t, b, app, group, ['big'], P);
      const reference = Array.from({ length: P }, () => new Map<string, unknown>());
      const rounds: Array<(i: number) => unknown> = [
        (i) => ({ i, round: 0, tags: ['a', 'b'] }),
        (i) => (i % 2 === 0 ? { i, round: 1 } : undefined), // overwrite half
        (i) => (i % 3 === 0 ? null : undefined), // delete a third (null = delete here)
      ];
      const commitMs: number[] = [];
      for (const [round, changeOf] of rounds.entries()) {
        const byPartition = Array.from({ length: P }, () => [] as StoreChanges['changes']);
        for (let i = 0; i < manyKeys; i++) {
          const v = changeOf(i);
          if (v === undefined) continue;
          const key = `key-${i}`;
          const p = i % P;
          if (v === null) {
            byPartition[p]!.push({ key, value: undefined });
            reference[p]!.delete(key);
          } else {
            byPartition[p]!.push({ key, value: v });
            reference[p]!.set(key, v);
          }
        }
        const started = performance.now();
        await s.commit(consumer, {
          outputs: [],
          state: byPartition.map((changes, partition) => ({ store: 'big', partition, changes })),
          positions: round === rounds.length - 1 ? positionsAfter(read) : [],
        });
        commitMs.push(performance.now() - started);
      }
      const fresh = b.stateBackend(app, group);
      t.after(() => fresh.close());
      let entries = 0;
      let ms = 0;
      for (let p = 0; p < P; p++) {
        const got = new Map<string, unknown>();
        const r = await fresh.restore('big', p, (key, value) => got.set(key, value), []);
        entries += r.entries;
        ms += r.ms;
        assert.equal(got.size, reference[p]!.size, `partition ${p}: live keys`);
        assert.deepEqual(got, reference[p], `partition ${p}: values`);
      }
      t.diagnostic(
        `${name}: commits of ${rounds.map((_, i) => i).join('/')} took ${commitMs.map((m) => m.toFixed(0)).join(' / ')} ms; ` +
          `restore of ${entries} live keys in ${ms.toFixed(0)} ms (${Math.round(entries / (ms / 1000))} keys/s)`,
      );
    });
  });
}
