import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import type { Source, SourceItem } from '../../src/core/connector.ts';
import type { DeadLetter } from '../../src/core/dlq.ts';
import { ErrorCodes, RunnelError } from '../../src/core/errors.ts';
import type { Logger } from '../../src/core/log.ts';
import { newRunStart } from '../../src/core/runners/replay-resume.ts';
import { runSource, type SourceEnd } from '../../src/core/runners/source-runner.ts';
import { StatusCell } from '../../src/core/status-cell.ts';

/** An input of good and bad items (item i is bad when bad[i]), read in batches of the given sizes. */
function replaySource(bad: boolean[], batches: number[], input = 'mem://input', bytes = bad.length): Source {
  const items: SourceItem[] = bad.map((isBad, i) =>
    isBad
      ? {
          kind: 'invalid',
          error: new RunnelError(ErrorCodes.INPUT_MALFORMED, `item ${i} is bad`),
          raw: `raw ${i}`,
          position: `item ${i}`,
        }
      : { kind: 'record', record: { key: `k${i % 5}`, value: { i } }, position: `item ${i}` },
  );
  return {
    name: 'replay',
    replay: () => ({ input, bytes }),
    async *read(ctx) {
      let at = ctx.skip ?? 0;
      for (let b = 0; at < items.length; b++) {
        const size = batches[b % batches.length]!;
        yield items.slice(at, at + size);
        at += size;
      }
    },
  };
}

const quiet: Logger = { info() {}, debug() {}, error() {}, warn() {} };

async function brokerWithTopic(): Promise<LocalBroker> {
  const broker = new LocalBroker(`local:${join(mkdtempSync(join(tmpdir(), 'runnel-replay-')), 'b.db')}`);
  await broker.connect();
  // Several partitions: the count a run leaves is on one partition's newest record, not on every one.
  await broker.createTopic('in', { partitions: 3 });
  return broker;
}

async function runOnce(
  broker: LocalBroker,
  source: Source,
  o: { limit?: number; fromStart?: boolean; log?: Logger; runStart?: number } = {},
): Promise<{ end: SourceEnd; records: number; dlq: number }> {
  const status = new StatusCell({ app: 't', pipeline: 'p', pid: 1, component: 'source', name: 'replay', topics: [] });
  const end = await runSource({
    broker,
    source,
    topic: 'in',
    status,
    log: o.log ?? quiet,
    signal: new AbortController().signal,
    ...(o.limit === undefined ? {} : { limit: o.limit }),
    ...(o.fromStart ? { fromStart: true } : {}),
    ...(o.runStart === undefined ? {} : { runStart: o.runStart }),
  });
  return { end, records: status.status.records, dlq: status.status.dlq };
}

async function all(broker: LocalBroker, topic: string) {
  const info = await broker.describeTopic(topic);
  const out = [];
  for (const p of info?.partitions ?? []) out.push(...(await broker.read(topic, p.partition, 0, 100_000)));
  return out;
}

/** The item numbers on the topic and on its dead-letter topic, sorted. */
async function onTopics(broker: LocalBroker): Promise<{ good: number[]; bad: number[] }> {
  const good = (await all(broker, 'in')).map((r) => (r.value as { i: number }).i);
  const bad = (await all(broker, 'in.dlq')).map((r) => Number((r.value as DeadLetter).raw.slice(4)));
  return { good: good.sort((a, b) => a - b), bad: bad.sort((a, b) => a - b) };
}

test('a replay cut by --limit, run again and again, puts every item on the topic or its .dlq exactly once (property)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }),
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }),
      fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 0, maxLength: 6 }),
      async (bad, batches, limits) => {
        const broker = await brokerWithTopic();
        try {
          const good = bad.flatMap((b, i) => (b ? [] : [i]));
          let produced = 0;
          for (const limit of limits) {
            const r = await runOnce(broker, replaySource(bad, batches), { limit });
            // Each run takes up to its limit of what the earlier ones left.
            assert.equal(r.records, Math.min(limit, good.length - produced));
            produced += r.records;
            // It says its input goes on exactly when it stopped at its limit with items left.
            const there = await onTopics(broker);
            const left = bad.length - there.good.length - there.bad.length;
            assert.equal(r.end.goesOn, r.records === limit && left > 0, `goesOn with ${left} item(s) left`);
          }
          const last = await runOnce(broker, replaySource(bad, batches));
          assert.equal(last.records, good.length - produced);
          assert.equal(last.end.goesOn, false);
          const brute = { good, bad: bad.flatMap((b, i) => (b ? [i] : [])) };
          assert.deepEqual(await onTopics(broker), brute);
          // Once the whole input is on the topic, another run adds nothing.
          const again = await runOnce(broker, replaySource(bad, batches));
          assert.deepEqual([again.records, again.dlq], [0, 0]);
          assert.deepEqual(await onTopics(broker), brute);
        } finally {
          await broker.close();
        }
      },
    ),
    { numRuns: 40 },
  );
});

test('--from-start, another input, or a file smaller than the one replayed before: read from the start', async () => {
  const bad = Array.from({ length: 12 }, (_, i) => i === 11);
  const broker = await brokerWithTopic();
  try {
    await runOnce(broker, replaySource(bad, [4]));
    assert.equal((await onTopics(broker)).good.length, 11);
    // The whole input again, on purpose: each good item twice, the bad one twice; and said.
    const said: string[] = [];
    const again = await runOnce(broker, replaySource(bad, [4]), {
      fromStart: true,
      log: { ...quiet, info: (m: string) => said.push(m) },
    });
    assert.deepEqual([again.records, again.dlq], [11, 1]);
    assert.match(
      said.join('\n'),
      /--from-start: replaying mem:\/\/input from its start; the 12 record\(s\) an earlier run/,
    );
    // Another file is no continuation of this one; it goes after it on the topic, and that is said.
    const mixed: string[] = [];
    const other = await runOnce(broker, replaySource(bad, [4], 'mem://other'), {
      log: { ...quiet, warn: (m: string) => (m.includes(' holds records ') ? mixed.push(m) : 0) },
    });
    assert.equal(other.records, 11);
    assert.equal(mixed.length, 1, mixed.join('\n'));
    assert.match(
      mixed[0]!,
      /^replay: in holds records replayed from mem:\/\/input, the newest there; those of mem:\/\/other go after them/,
    );
    // A file of that name, now smaller than when it was read: replaced, so read whole, and said once.
    const warnings: string[] = [];
    const log: Logger = { ...quiet, warn: (m: string) => warnings.push(m) };
    const shrunk = await runOnce(broker, replaySource(bad.slice(0, 6), [4], 'mem://input', 6), { log });
    assert.equal(shrunk.records, 6);
    // Back to the first file after the other: both said, once each.
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings[0]!, /^replay: in holds records replayed from mem:\/\/other, the newest there/);
    assert.match(warnings[1]!, /^replay: mem:\/\/input is smaller than when an earlier run replayed 12 item\(s\)/);
    // The same file again: nothing to say of other files.
    warnings.length = 0;
    await runOnce(broker, replaySource(bad.slice(0, 6), [4], 'mem://input', 6), { log });
    assert.deepEqual(warnings, []);
    // Two replays onto the topic in one run (one pipeline's two sources), then in the next: the second
    // run's are no other file's going after them.
    const run = Date.now() + 1000;
    await runOnce(broker, replaySource(bad.slice(0, 6), [2], 'mem://a', 6), { runStart: run });
    await runOnce(broker, replaySource(bad.slice(0, 6), [2], 'mem://b', 6), { runStart: run });
    warnings.length = 0;
    for (const input of ['mem://a', 'mem://b'])
      await runOnce(broker, replaySource(bad.slice(0, 8), [2], input, 8), { runStart: run + 1000, log });
    assert.deepEqual(warnings, []);
  } finally {
    await broker.close();
  }
});

test('the newest run is the one a run goes on from: after --from-start --limit, and after a shrunk file read whole', async () => {
  const bad = Array.from({ length: 12 }, (_, i) => i % 5 === 4);
  const good = bad.filter((b) => !b).length;
  const broker = await brokerWithTopic();
  try {
    assert.equal((await runOnce(broker, replaySource(bad, [3]))).records, good);
    // A fresh replay of the whole file, cut at 4: the next run goes on after those 4, not after the first run.
    assert.equal((await runOnce(broker, replaySource(bad, [3]), { fromStart: true, limit: 4 })).records, 4);
    assert.equal((await runOnce(broker, replaySource(bad, [3]))).records, good - 4);
    assert.equal((await runOnce(broker, replaySource(bad, [3]))).records, 0);
    // A smaller file under the name, read whole: the next run adds nothing (it does not replay it again).
    const small = bad.slice(0, 6);
    assert.equal((await runOnce(broker, replaySource(small, [4], 'mem://input', 6))).records, 5);
    const again = await runOnce(broker, replaySource(small, [4], 'mem://input', 6));
    assert.deepEqual([again.records, again.dlq], [0, 0]);
  } finally {
    await broker.close();
  }
});

test("a run that dies part-way through a batch's writes: the next run repeats what it must, skips nothing", async () => {
  const bad = Array.from({ length: 20 }, (_, i) => i % 3 === 0);
  const goodItems = bad.flatMap((b, i) => (b ? [] : [i]));
  const badItems = bad.flatMap((b, i) => (b ? [i] : []));
  // A broker that writes a produce whole (local), and one that may not (as Kafka): there the marked record
  // goes alone, after the rest, so a death between the two repeats the batch's records.
  for (const [atomic, failing] of [
    [true, 'in'],
    [false, 'in'],
    [true, 'in.dlq'],
  ] as const) {
    for (const failAt of [1, 2, 3, 4]) {
      const broker = await brokerWithTopic();
      try {
        if (!atomic) Object.defineProperty(broker, 'atomicProduce', { value: false });
        const real = broker.produce.bind(broker);
        let writes = 0;
        // The failAt-th write to the topic (or to its .dlq) is refused for good.
        broker.produce = async (topic, records, options) => {
          if (topic === failing && ++writes === failAt) throw new RunnelError(ErrorCodes.CONFIG_INVALID, 'gone');
          return real(topic, records, options);
        };
        await assert.rejects(runOnce(broker, replaySource(bad, [5])), /gone/);
        broker.produce = real;
        await runOnce(broker, replaySource(bad, [5]));
        const there = await onTopics(broker);
        const what = `${atomic ? 'atomic' : 'split'}, write ${failAt} to ${failing} failed`;
        if (atomic) assert.deepEqual(there.good, goodItems, `${what}: every record once`);
        else assert.deepEqual([...new Set(there.good)], goodItems, `${what}: every record, some twice`);
        assert.deepEqual([...new Set(there.bad)], badItems, `${what}: every dead letter, some twice`);
      } finally {
        await broker.close();
      }
    }
  }
});

test('a source that says nothing of a replay reads its input from the start every run', async () => {
  const broker = await brokerWithTopic();
  try {
    const plain = replaySource([false, false, false], [2]);
    delete (plain as { replay?: unknown }).replay;
    for (let run = 1; run <= 2; run++) {
      const r = await runOnce(broker, plain, { limit: 2 });
      assert.deepEqual([r.records, r.end.goesOn], [2, false]);
    }
    assert.deepEqual((await onTopics(broker)).good, [0, 0, 1, 1]);
  } finally {
    await broker.close();
  }
});

test('run starts of one process only go forward, even within a millisecond: back-to-back runs are not one run', () => {
  const starts = Array.from({ length: 2000 }, () => newRunStart());
  for (let i = 1; i < starts.length; i++) assert.ok(starts[i]! > starts[i - 1]!, `start ${i} after ${i - 1}`);
  assert.ok(starts[0]! >= Date.now() - 60_000 && starts.at(-1)! <= Date.now() + 2000, 'near the clock');
});
