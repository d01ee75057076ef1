import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Broker } from '../broker.ts';
import { type TopicPartitionOffset, tpKey } from '../record.ts';
import { StatusCell } from '../status-cell.ts';
import { backlogGate, type Paced } from './backlog.ts';

/** A topic of two partitions, each `end` records long, and a consumer at `at` on each, moving all along. */
function setup(at: Map<string, number>, owned?: number[]) {
  const end = 100_000;
  const broker = {
    describeTopic: async (topic: string) => ({
      name: topic,
      partitions: [0, 1].map((partition) => ({ partition, startOffset: 0, endOffset: end })),
    }),
  } as unknown as Broker;
  const status = new StatusCell({ app: 'a', pipeline: 'p', pid: 0, component: 'sink', name: 's', topics: ['t'] });
  status.set('ok');
  const moving = setInterval(() => status.status.records++, 5);
  const consumer: Paced = {
    inputs: ['t'],
    status,
    loop: {
      caughtUp: (targets: TopicPartitionOffset[]) =>
        targets.every((t) => (at.get(tpKey(t.topic, t.partition)) ?? 0) >= t.offset),
      ...(owned ? { assigned: () => owned.map((partition) => ({ topic: 't', partition })) } : {}),
    },
  };
  return { broker, consumer, end, stop: () => clearInterval(moving) };
}

/** Whether the gate lets the source go within `ms` (it holds for as long as the consumer is behind). */
async function lets(gate: () => Promise<void> | undefined, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([(gate() ?? Promise.resolve()).then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

test('the backlog gate holds a source while a working consumer is far behind, and lets it go once caught up', async () => {
  const at = new Map([
    [tpKey('t', 0), 0],
    [tpKey('t', 1), 0],
  ]);
  const s = setup(at);
  const stop = new AbortController();
  try {
    const gate = backlogGate(s.broker, [s.consumer], stop.signal, 1000);
    // A first look slow on a loaded machine (10 ms and more: CI once) makes the gate a slow broker's, which
    // holds the source's next batch rather than this one (see QUICK_LOOK_MS): either way a batch is held.
    const held = !(await lets(gate, 300)) || !(await lets(gate, 300));
    assert.equal(held, true, 'far behind and moving: held');
    at.set(tpKey('t', 0), s.end);
    at.set(tpKey('t', 1), s.end - 10);
    assert.equal(await lets(gate, 3000), true, 'caught up: let go');
  } finally {
    stop.abort();
    s.stop();
  }
});

test("the backlog gate counts only the partitions a consumer reads: another process's are not its backlog", async () => {
  // It reads partition 0, caught up; partition 1 belongs to another process of its group, and its own
  // position of it is as old as its start.
  const at = new Map([
    [tpKey('t', 0), 100_000],
    [tpKey('t', 1), 0],
  ]);
  assert.equal(await letsGo(setup(at, [0])), true);
});

test('a stop lets a held source go at once', async () => {
  const s = setup(new Map());
  const stop = new AbortController();
  try {
    const gate = backlogGate(s.broker, [s.consumer], stop.signal, 1000);
    const held = gate();
    assert.ok(held, 'held: the look answers at once, so the source waits for it');
    stop.abort();
    assert.equal(await lets(() => held, 3000), true);
  } finally {
    s.stop();
  }
});

test('a consumer that cannot say which partitions it reads holds no source back (the gate never throws)', async () => {
  const s = setup(new Map());
  s.consumer.loop.assigned = () => {
    throw new Error('SQLITE_BUSY: database is locked');
  };
  assert.equal(await letsGo(s), true);
});

/** Whether a gate over `s`'s consumer (a backlog of 1000) lets the source go within 3 s. */
async function letsGo(s: ReturnType<typeof setup>): Promise<boolean> {
  const stop = new AbortController();
  try {
    return await lets(backlogGate(s.broker, [s.consumer], stop.signal, 1000), 3000);
  } finally {
    stop.abort();
    s.stop();
  }
}
