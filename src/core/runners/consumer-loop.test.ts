import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Broker, Consumer } from '../broker.ts';
import { silentLogger } from '../log.ts';
import type { StreamRecord } from '../record.ts';
import { StatusCell } from '../status-cell.ts';
import { ConsumerLoop, positionsOf, STORED_COMMIT_EVERY_MS } from './consumer-loop.ts';

const rec = (topic: string, partition: number, offset: number): StreamRecord => ({
  topic,
  partition,
  offset,
  key: null,
  value: null,
  timestamp: 0,
  headers: {},
});

/** A sink's loop on topic `t`, group `g`, stopped by `signal`. */
const sinkOf = (signal: AbortSignal) => ({
  group: 'g',
  topics: ['t'],
  status: new StatusCell({ app: 'a', pipeline: 'p', pid: 0, component: 'sink', name: 's', topics: ['t'] }),
  log: silentLogger,
  signal,
});

test('positionsOf: the highest next offset per partition, in order of first appearance, however the batch interleaves', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1000 })), {
        maxLength: 60,
      }),
      (xs) => {
        const records = xs.map(([t, p, o]) => rec(t, p, o));
        const want = new Map<string, { topic: string; partition: number; offset: number }>();
        for (const r of records) {
          const k = `${r.topic}\u0000${r.partition}`;
          const next = Math.max(want.get(k)?.offset ?? 0, r.offset + 1);
          want.set(k, { topic: r.topic, partition: r.partition, offset: next });
        }
        assert.deepEqual(positionsOf(records), [...want.values()]);
      },
    ),
    { numRuns: 300 },
  );
});

test('lingerMs: a batch begun gathers what the next polls bring, up to maxRecords, as one handle', async () => {
  // A consumer that hands out 100 records a poll, as a caught-up sink sees a source's batches arrive.
  const N = 2000;
  let next = 0;
  const consumer: Consumer = {
    poll: async (o) => {
      const n = Math.min(100, o?.maxRecords ?? 100, N - next);
      return Array.from({ length: n }, () => rec('t', 0, next++));
    },
    commit: async () => {},
    seek: () => {},
    assignment: () => [{ topic: 't', partition: 0 }],
    close: async () => {},
  };
  const broker = { listGroups: async () => [], consumer: () => consumer } as unknown as Broker;
  const handled: number[] = [];
  const stop = new AbortController();
  const loop = new ConsumerLoop({
    broker,
    ...sinkOf(stop.signal),
    maxRecords: 500,
    // Long enough that the polls, which answer at once, fill every batch first.
    lingerMs: 60_000,
    handle: async (records) => {
      handled.push(records.length);
      if (handled.reduce((a, b) => a + b, 0) >= N) stop.abort();
    },
  });
  await loop.run();
  assert.deepEqual(
    handled,
    Array.from({ length: N / 500 }, () => 500),
  );
});

test('storedPositions: the group is committed at most every STORED_COMMIT_EVERY_MS, when idle and at the end, always up to what was written', async () => {
  // 100 records a poll, N in all, then nothing: a sink's backlog worked off as fast as the handle goes.
  const N = 5000;
  const run = async (stored: boolean) => {
    let next = 0;
    let idlePolls = 0;
    const commits: number[] = [];
    const stop = new AbortController();
    const consumer: Consumer = {
      poll: async () => {
        if (next >= N && ++idlePolls >= 2) stop.abort();
        const n = Math.min(100, N - next);
        return Array.from({ length: n }, () => rec('t', 0, next++));
      },
      commit: async (positions) => {
        commits.push(positions[0]!.offset);
      },
      seek: () => {},
      assignment: () => [{ topic: 't', partition: 0 }],
      close: async () => {},
    };
    const broker = {
      url: 'local:test',
      listGroups: async () => [],
      describeTopic: async () => undefined,
      consumer: () => consumer,
    } as unknown as Broker;
    let written = 0;
    const started = performance.now();
    await new ConsumerLoop({
      broker,
      ...sinkOf(stop.signal),
      maxRecords: 100,
      ...(stored ? { storedPositions: async () => [] } : {}),
      handle: async (records) => {
        written += records.length;
        // A few ms a batch, as a sink's write takes: the run spans several commit intervals.
        await new Promise((r) => setTimeout(r, 4));
      },
    }).run();
    return { commits, written, ms: performance.now() - started };
  };
  const perBatch = await run(false);
  assert.equal(perBatch.written, N);
  assert.equal(perBatch.commits.length, N / 100, 'without a store of its own: a commit per batch');
  const spaced = await run(true);
  assert.equal(spaced.written, N);
  // At the interval while it works (the first batch commits at once), plus the idle one.
  const most = Math.ceil(spaced.ms / STORED_COMMIT_EVERY_MS) + 2;
  assert.ok(spaced.commits.length <= most, `${spaced.commits.length} commits in ${Math.round(spaced.ms)} ms`);
  assert.ok(spaced.commits.length < N / 100);
  // Every commit moves forward, and the last is the end: the group shows it caught up.
  for (let i = 1; i < spaced.commits.length; i++) assert.ok(spaced.commits[i]! > spaced.commits[i - 1]!);
  assert.equal(spaced.commits.at(-1), N);
});

/** A sink's loop whose consumer answers `polls` in turn, then nothing; stopped after two empty polls. */
const storedRun = async (o: {
  stored: Array<{ topic: string; partition: number; offset: number }>;
  group: Array<{ partition: number; committed: number }>;
  polls?: StreamRecord[][];
  /** The consumer's assignment before each poll (by poll number); partition 0 only when not given. */
  owns?: (poll: number) => number[];
}) => {
  const commits: Array<Array<{ partition: number; offset: number }>> = [];
  const stop = new AbortController();
  let polls = 0;
  let idle = 0;
  const consumer: Consumer = {
    poll: async () => {
      const batch = o.polls?.[polls++] ?? [];
      if (batch.length === 0 && ++idle >= 2) stop.abort();
      return batch;
    },
    commit: async (positions) => {
      commits.push(positions.map((p) => ({ partition: p.partition, offset: p.offset })));
    },
    seek: () => {},
    assignment: () => (o.owns?.(polls) ?? [0]).map((partition) => ({ topic: 't', partition })),
    close: async () => {},
  };
  const broker = {
    url: 'local:test',
    listGroups: async (group?: string) =>
      o.group.map((g) => ({ group: group ?? 'g', topic: 't', ...g, endOffset: 100, lag: 100 - g.committed })),
    describeTopic: async () => ({
      name: 't',
      partitions: [0, 1].map((partition) => ({ partition, startOffset: 0, endOffset: 100 })),
    }),
    consumer: () => consumer,
  } as unknown as Broker;
  await new ConsumerLoop({
    broker,
    ...sinkOf(stop.signal),
    storedPositions: async () => o.stored,
    handle: async () => {},
  }).run();
  return commits;
};

test('storedPositions: a store ahead of the group (its last commit lost to a crash) is committed once it runs, though it writes nothing', async () => {
  // kill -9 within STORED_COMMIT_EVERY_MS of its last write: the sink holds 50, the group says 40. Nothing is
  // left to write, so no batch commits: without this the group showed a lag of 10 for good (dashboard, groups).
  assert.deepEqual(
    await storedRun({ stored: [{ topic: 't', partition: 0, offset: 50 }], group: [{ partition: 0, committed: 40 }] }),
    [[{ partition: 0, offset: 50 }]],
  );
  // Never committed at all: the same.
  assert.deepEqual(await storedRun({ stored: [{ topic: 't', partition: 0, offset: 50 }], group: [] }), [
    [{ partition: 0, offset: 50 }],
  ]);
  // The group as far (or further: past a transaction marker) commits nothing.
  assert.deepEqual(
    await storedRun({ stored: [{ topic: 't', partition: 0, offset: 50 }], group: [{ partition: 0, committed: 50 }] }),
    [],
  );
  assert.deepEqual(
    await storedRun({ stored: [{ topic: 't', partition: 0, offset: 50 }], group: [{ partition: 0, committed: 51 }] }),
    [],
  );
});

test('storedPositions: a deferred commit leaves out a partition the consumer no longer owns', async () => {
  // Kafka fences a commit by generation only: a member that lost partition 1 in a rebalance and committed
  // its deferred position after the new owner's moved the group's offset back, for good once the owner had
  // nothing left to write there (a drain raised by refreshFromGroup waited for it).
  const both = (from: number) => [0, 1].flatMap((p) => Array.from({ length: 10 }, (_, i) => rec('t', p, from + i)));
  const commits = await storedRun({
    stored: [],
    group: [],
    polls: [both(0), both(10)],
    // Both partitions for the two batches, then partition 0 only.
    owns: (poll) => (poll <= 2 ? [0, 1] : [0]),
  });
  assert.deepEqual(commits, [
    [
      { partition: 0, offset: 10 },
      { partition: 1, offset: 10 },
    ],
    [{ partition: 0, offset: 20 }],
  ]);
});
