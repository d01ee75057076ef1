import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import type { ProcessorTask, TaskProcessor } from '../../src/core/connector.ts';
import type { Logger } from '../../src/core/log.ts';
import { TaskRunner, taskGroup } from '../../src/core/runners/task-runner.ts';
import { StatusCell } from '../../src/core/status-cell.ts';

/** A processor that only reads: its commits carry the positions, which the state backend fences. */
const reader: TaskProcessor = {
  kind: 'tasks',
  name: 'reader',
  inputs: ['in'],
  outputs: [],
  internalTopics: {},
  stores: [],
  createTask({ partition }): ProcessorTask {
    return {
      partition,
      watermark: Number.NEGATIVE_INFINITY,
      counters: { records: 0, late: 0, dlq: 0 },
      restoreEntry() {},
      start() {},
      process() {
        this.counters.records++;
      },
      tick() {},
      endOfInput: () => true,
      takeCommit: () => ({ outputs: new Map(), state: [] }),
    };
  },
};

let endCalls = 0;

/** As a real task: ending its input is a change of its state (the watermark's snapshot), so it commits. */
const ender: TaskProcessor = {
  ...reader,
  name: 'ender',
  stores: ['clock'],
  createTask(o): ProcessorTask {
    const task = reader.createTask(o);
    let ended = false;
    let told = false;
    return {
      ...task,
      endOfInput: () => {
        endCalls++;
        const was = ended;
        ended = true;
        return !was;
      },
      takeCommit: () => {
        if (!ended || told) return { outputs: new Map(), state: [] };
        told = true;
        return {
          outputs: new Map(),
          state: [{ store: 'clock', partition: o.partition, changes: [{ key: 'watermark', value: 'end' }] }],
        };
      },
    };
  },
};

const until = async (what: string, ok: () => boolean) => {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('a processor fenced once by a rebalance looks at the group at once: its lost partition is not rebuilt and fenced again', async () => {
  const broker = new LocalBroker(`local:${join(mkdtempSync(join(tmpdir(), 'runnel-fence-')), 'b.db')}`);
  await broker.connect();
  await broker.createTopic('in', { partitions: 2 });
  const fenced: string[] = [];
  const log: Logger = {
    debug() {},
    warn() {},
    error() {},
    info: (m: string) => {
      if (m.includes('its new owner takes over from the last commit')) fenced.push(m);
    },
  };
  const stop = new AbortController();
  const runner = new TaskRunner({
    broker,
    app: 't',
    processor: reader,
    status: new StatusCell({ app: 't', pipeline: 'p', pid: 1, component: 'processor', name: 'reader', topics: [] }),
    log,
    signal: stop.signal,
    partitionsOf: () => 2,
  });
  const running = runner.run();
  try {
    const both = [0, 1].map((partition) => ({ value: { at: 0 }, partition }));
    await broker.produce('in', both);
    await until('both partitions committed here', () =>
      runner.caughtUp([0, 1].map((p) => ({ topic: 'in', partition: p, offset: 1 }))),
    );
    // Another member joins (a second `consume`): one partition is now its. This process hears of it at its
    // next heartbeat, up to half a second later, so its next commit that names the moved partition is
    // refused; it must not then rebuild that partition's task from what its consumer last knew, be refused
    // again at each commit, and restore every task each time, until the heartbeat.
    const other = broker.consumer({ group: taskGroup('t', reader.name), topics: ['in'] });
    const theirs = other.assignment().map((a) => a.partition);
    assert.equal(theirs.length, 1);
    for (let i = 1; i <= 40; i++) {
      await broker.produce(
        'in',
        [0, 1].map((partition) => ({ value: { at: i }, partition })),
      );
      await new Promise((r) => setTimeout(r, 15));
    }
    const mine = 1 - theirs[0]!;
    await until('its own partition committed to the end', () =>
      runner.caughtUp([{ topic: 'in', partition: mine, offset: 41 }]),
    );
    assert.ok(fenced.length <= 1, `fenced ${fenced.length} times: ${fenced.join(' | ')}`);
    assert.deepEqual(
      runner.assigned().map((a) => a.partition),
      [mine],
    );
    await other.close();
  } finally {
    stop.abort();
    await running.catch(() => {});
    await broker.close();
  }
});

test('ending the input right after another member joined never counts the partition it took as ended here', async () => {
  const broker = new LocalBroker(`local:${join(mkdtempSync(join(tmpdir(), 'runnel-fence-end-')), 'b.db')}`);
  await broker.connect();
  await broker.createTopic('in', { partitions: 2 });
  const stop = new AbortController();
  const runner = new TaskRunner({
    broker,
    app: 't',
    processor: ender,
    status: new StatusCell({ app: 't', pipeline: 'p', pid: 1, component: 'processor', name: 'ender', topics: [] }),
    log: { debug() {}, warn() {}, error() {}, info() {} },
    signal: stop.signal,
    partitionsOf: () => 2,
  });
  const running = runner.run();
  try {
    await broker.produce(
      'in',
      [0, 1].map((partition) => ({ value: { at: 0 }, partition })),
    );
    await until('both partitions committed here', () =>
      runner.caughtUp([0, 1].map((p) => ({ topic: 'in', partition: p, offset: 1 }))),
    );
    // `consume --final` checked it held both; a second worker joins before the end's commit. That commit
    // is refused (or made for the partition left) and must not report the moved partition as ended: the
    // drain then says the windows stay open instead of "every window closed".
    const other = broker.consumer({ group: taskGroup('t', ender.name), topics: ['in'] });
    const theirs = other.assignment().map((a) => a.partition);
    assert.equal(theirs.length, 1);
    const end = await runner.endOfInput([0, 1]);
    assert.deepEqual(end.partitions, [], `ended here: ${end.partitions.join(', ')}`);
    // Refused or fenced, and not made later behind the caller's back: the partition left here stays open.
    const calls = endCalls;
    const mine = 1 - theirs[0]!;
    await broker.produce('in', [{ value: { at: 1 }, partition: mine }]);
    await until('the partition left here read on', () =>
      runner.caughtUp([{ topic: 'in', partition: mine, offset: 2 }]),
    );
    // Nor once the other member left and both partitions are here again.
    await other.close();
    await until('both partitions back here', () => runner.assigned().length === 2);
    await broker.produce(
      'in',
      [0, 1].map((partition) => ({ value: { at: 2 }, partition })),
    );
    await until('both read on', () =>
      runner.caughtUp([0, 1].map((p) => ({ topic: 'in', partition: p, offset: p === mine ? 3 : 2 }))),
    );
    assert.equal(endCalls, calls, 'no task ended after the end was refused');
  } finally {
    stop.abort();
    await running.catch(() => {});
    await broker.close();
  }
});
