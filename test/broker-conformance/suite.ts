/**
 * One behavioural contract for every Broker: the same app must run on `local:` and `kafka://` with only
 * the URL changed, so both run exactly these tests. Timings are generous because a real Kafka group
 * rebalance takes a heartbeat or two; nothing here asserts on speed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, type TestContext, test } from 'node:test';
import type { Broker, Consumer } from '../../src/core/broker.ts';
import { ErrorCodes, type RunnelError } from '../../src/core/errors.ts';
import { partitionForKey } from '../../src/core/partitioner.ts';
import type { StreamRecord } from '../../src/core/record.ts';
import { needService } from '../helpers/services.ts';

export interface ConformanceOptions {
  /** Checked once; when false the tests skip (or fail under CI=true) via needService. */
  available?: () => Promise<boolean>;
  service?: { name: string; howToGet: string };
  /** Upper bound for a group to settle after a member joins or leaves. */
  settleMs?: number;
}

export const unique = (what: string) => `rc-${what}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

/** Polls until `n` records arrived or `timeoutMs` passed; returns what arrived. */
export async function pollN(c: Consumer, n: number, timeoutMs = 20_000): Promise<StreamRecord[]> {
  const out: StreamRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n && Date.now() < deadline) {
    for (const r of await c.poll({ maxRecords: n - out.length, maxWaitMs: 200 })) out.push(r);
  }
  return out;
}

/**
 * Keeps every consumer polling (as a live member does) until `done()` holds. Records polled meanwhile are
 * returned, not dropped: a test that counts deliveries must count these too.
 */
async function settle(consumers: Consumer[], done: () => boolean, timeoutMs: number): Promise<StreamRecord[]> {
  const polled: StreamRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) {
    for (const batch of await Promise.all(consumers.map((c) => c.poll({ maxRecords: 100, maxWaitMs: 100 })))) {
      polled.push(...batch);
    }
  }
  return polled;
}

const sortedParts = (c: Consumer) =>
  c
    .assignment()
    .map((a) => a.partition)
    .sort((a, b) => a - b);

export function runBrokerConformance(name: string, makeBroker: () => Promise<Broker>, opts: ConformanceOptions = {}) {
  const settleMs = opts.settleMs ?? 30_000;
  let availability: Promise<boolean> | undefined;

  /** Opens a connected broker, or skips the test (fails under CI) when the service is away. */
  async function open(t: TestContext): Promise<Broker | undefined> {
    availability ??= opts.available ? opts.available() : Promise.resolve(true);
    const service = opts.service ?? { name, howToGet: '' };
    if (!needService(t, service.name, await availability, service.howToGet)) return undefined;
    const b = await makeBroker();
    await b.connect();
    t.after(() => b.close());
    return b;
  }

  describe(`broker conformance: ${name}`, { timeout: 120_000 }, () => {
    test('records come back in order per partition with key, value, headers and timestamp', async (t) => {
      const b = await open(t);
      if (!b) return;
      const topic = unique('order');
      await b.createTopic(topic, { partitions: 3 });
      const keys = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve'];
      const sent = Array.from({ length: 300 }, (_, i) => ({
        key: keys[i % keys.length]!,
        value: { i, text: `msg ${i}`, nested: { ok: true } },
        timestamp: 1_700_000_000_000 + i,
        headers: { source: 'conformance', n: String(i) },
      }));
      const positions = await b.produce(topic, sent);
      assert.equal(positions.length, 300);
      const c = b.consumer({ group: unique('g'), topics: [topic] });
      t.after(() => c.close());
      const got = await pollN(c, 300);
      assert.equal(got.length, 300);
      for (const r of got) {
        const i = (r.value as { i: number }).i;
        assert.deepEqual(r.value, sent[i]!.value);
        assert.equal(r.key, sent[i]!.key);
        assert.equal(r.timestamp, sent[i]!.timestamp);
        assert.deepEqual(r.headers, sent[i]!.headers);
        assert.deepEqual(
          { partition: r.partition, offset: r.offset },
          { partition: positions[i]!.partition, offset: positions[i]!.offset },
        );
      }
      for (let p = 0; p < 3; p++) {
        const mine = got.filter((r) => r.partition === p);
        for (let j = 1; j < mine.length; j++) {
          assert.equal(mine[j]!.offset, mine[j - 1]!.offset + 1, 'offsets contiguous within a partition');
          assert.ok(
            (mine[j]!.value as { i: number }).i > (mine[j - 1]!.value as { i: number }).i,
            'production order kept',
          );
        }
      }
    });

    test('same key, same partition (Java Kafka placement); keys spread over partitions', async (t) => {
      const b = await open(t);
      if (!b) return;
      const topic = unique('keys');
      await b.createTopic(topic, { partitions: 2 });
      const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
      const positions = await b.produce(
        topic,
        [...keys, ...keys].map((key, i) => ({ key, value: i })),
      );
      for (const [i, p] of positions.entries()) {
        const key = keys[i % keys.length]!;
        assert.equal(p.partition, partitionForKey(key, 2), `key ${key} placed as Kafka's default partitioner would`);
        assert.equal(p.partition, positions[i % keys.length]!.partition, `key ${key} stays on one partition`);
      }
      assert.equal(new Set(positions.map((p) => p.partition)).size, 2, 'keys spread over both partitions');
      // 3 partitions is where a non-Java murmur2 variant (unsigned instead of & 0x7fffffff) disagrees.
      const topic3 = unique('keys3');
      await b.createTopic(topic3, { partitions: 3 });
      const p3 = await b.produce(
        topic3,
        keys.map((key) => ({ key, value: key })),
      );
      for (const [i, p] of p3.entries()) assert.equal(p.partition, partitionForKey(keys[i]!, 3));
    });

    test('records without a key take the partitions in turn, batch after batch; keyed ones keep their place', async (t) => {
      const b = await open(t);
      if (!b) return;
      const topic = unique('nokey');
      await b.createTopic(topic, { partitions: 3 });
      const placed: number[] = [];
      // One record per produce, as a slow source sends them: each must move on to the next partition.
      for (let i = 0; i < 12; i++) {
        const record = i % 2 === 0 ? { value: i } : { key: null, value: i };
        placed.push((await b.produce(topic, [record]))[0]!.partition);
      }
      const counts = (ps: number[]) => [0, 1, 2].map((p) => ps.filter((x) => x === p).length);
      assert.deepEqual(counts(placed), [4, 4, 4], `keyless single-record batches spread evenly (got ${placed})`);
      for (let i = 3; i < placed.length; i++) {
        assert.equal(placed[i], placed[i - 3], `partitions taken in a fixed rotation (got ${placed})`);
      }
      // In one batch, keyless records rotate while keyed ones go where their key says.
      const keys = ['Alice', 'Bob', 'Charlie'];
      const mixed = Array.from({ length: 18 }, (_, i) =>
        i % 3 === 0 ? { key: keys[i % 9 === 0 ? 0 : 1]!, value: i } : { value: i },
      );
      const positions = await b.produce(topic, mixed);
      const keyless: number[] = [];
      for (const [i, p] of positions.entries()) {
        const key = mixed[i]!.key;
        if (key === undefined) keyless.push(p.partition);
        else assert.equal(p.partition, partitionForKey(key, 3), `key ${key} placed by murmur2`);
      }
      assert.deepEqual(counts(keyless), [4, 4, 4], `keyless records in a batch spread evenly (got ${keyless})`);
      // What the broker holds agrees with the positions it returned.
      const held = (await b.describeTopic(topic))!.partitions.map((p) => p.endOffset - p.startOffset);
      assert.deepEqual(held, counts([...placed, ...positions.map((p) => p.partition)]));
    });

    test('createTopic is idempotent; describe/list show start and end offsets; delete removes', async (t) => {
      const b = await open(t);
      if (!b) return;
      const topic = unique('describe');
      await b.createTopic(topic, { partitions: 2 });
      await b.createTopic(topic, { partitions: 2 });
      await b.produce(topic, [
        { value: 'a', partition: 0 },
        { value: 'b', partition: 0 },
        { value: 'c', partition: 1 },
      ]);
      const info = await b.describeTopic(topic);
      assert.ok(info);
      assert.deepEqual(
        info.partitions.map((p) => [p.partition, p.startOffset, p.endOffset]),
        [
          [0, 0, 2],
          [1, 0, 1],
        ],
      );
      assert.ok((await b.listTopics()).some((x) => x.name === topic));
      assert.equal(await b.describeTopic(unique('missing')), undefined);
      // Produce creates a missing topic on demand.
      const auto = unique('auto');
      const [pos] = await b.produce(auto, [{ value: 1 }]);
      assert.deepEqual(pos, { topic: auto, partition: 0, offset: 0 });
      const before = (await b.describeTopic(auto))?.id;
      assert.ok(before, 'a topic has an id');
      await b.deleteTopic(auto);
      await b.deleteTopic(auto);
      for (let i = 0; i < 50 && (await b.describeTopic(auto)); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(await b.describeTopic(auto), undefined);
      // Created again under the same name: another topic, which exactly-once output must tell apart.
      await b.createTopic(auto, { partitions: 1 });
      const after = await b.describeTopic(auto);
      assert.ok(after?.id && after.id !== before, `a new id (was ${before}, now ${after?.id})`);
      assert.deepEqual(
        after.partitions.map((p) => p.endOffset),
        [0],
      );
      await b.deleteTopic(auto);
    });

    test('a group splits partitions between two members, and one member gets all after the other leaves', async (t) => {
      const b = await open(t);
      if (!b) return;
      const topic = unique('rebalance');
      const group = unique('g');
      await b.createTopic(topic, { partitions: 4 });
      const c1 = b.consumer({ group, topics: [topic] });
      t.after(() => c1.close());
      await settle([c1], () => c1.assignment().length === 4, settleMs);
      assert.deepEqual(sortedParts(c1), [0, 1, 2, 3]);
      const c2 = b.consumer({ group, topics: [topic] });
      t.after(() => c2.close());
      const split = () => {
        const a1 = sortedParts(c1);
        const a2 = sortedParts(c2);
        return a1.length > 0 && a2.length > 0 && a1.length + a2.length === 4 && new Set([...a1, ...a2]).size === 4;
      };
      await settle([c1, c2], split, settleMs);
      assert.ok(split(), `disjoint split expected, got ${sortedParts(c1)} / ${sortedParts(c2)}`);
      await b.produce(
        topic,
        Array.from({ length: 40 }, (_, i) => ({ value: i, partition: i % 4 })),
      );
      const got1: StreamRecord[] = [];
      const got2: StreamRecord[] = [];
      const deadline = Date.now() + 20_000;
      while (got1.length + got2.length < 40 && Date.now() < deadline) {
        const [r1, r2] = await Promise.all([c1.poll({ maxWaitMs: 200 }), c2.poll({ maxWaitMs: 200 })]);
        got1.push(...r1);
        got2.push(...r2);
      }
      assert.equal(got1.length + got2.length, 40, 'every record delivered once across the group');
      assert.ok(got1.every((r) => sortedParts(c1).includes(r.partition)));
      assert.ok(got2.every((r) => sortedParts(c2).includes(r.partition)));
      await c1.commit(sortedParts(c1).map((partition) => ({ topic, partition, offset: 10 })));
      await c2.close();
      const again = await settle([c1], () => c1.assignment().length === 4, settleMs);
      assert.deepEqual(sortedParts(c1), [0, 1, 2, 3]);
      // c2 never committed: c1 now reads c2's former partitions from the beginning.
      again.push(...(await pollN(c1, 20 - again.length)));
      assert.equal(again.length, 20);
      assert.ok(again.every((r) => !got1.some((g) => g.partition === r.partition)));
    });

    test('committed offsets survive a consumer restart', async (t) => {
      const b = await open(t);
      if (!b) return;
      const topic = unique('commit');
      const group = unique('g');
      await b.produce(
        topic,
        Array.from({ length: 10 }, (_, i) => ({ value: i })),
      );
      const c1 = b.consumer({ group, topics: [topic] });
      const first = await pollN(c1, 4);
      assert.deepEqual(first.map((r) => r.value).slice(0, 4), [0, 1, 2, 3]);
      await c1.commit([{ topic, partition: 0, offset: 4 }]);
      await c1.close();
      const c2 = b.consumer({ group, topics: [topic] });
      t.after(() => c2.close());
      const rest = await pollN(c2, 6);
      assert.deepEqual(
        rest.map((r) => r.value),
        [4, 5, 6, 7, 8, 9],
      );
    });

    test('seek to beginning, end and an offset', async (t) => {
      const b = await open(t);
      if (!b) return;
      const topic = unique('seek');
      await b.produce(
        topic,
        Array.from({ length: 10 }, (_, i) => ({ value: i })),
      );
      const c = b.consumer({ group: unique('g'), topics: [topic] });
      t.after(() => c.close());
      assert.equal((await pollN(c, 10)).length, 10);
      c.seek(topic, 0, 3);
      assert.deepEqual(
        (await pollN(c, 2)).map((r) => r.offset),
        [3, 4],
      );
      c.seek(topic, 0, 'beginning');
      assert.equal((await pollN(c, 1))[0]?.offset, 0);
      c.seek(topic, 0, 'end');
      assert.deepEqual(await c.poll({ maxWaitMs: 300 }), []);
      await b.produce(topic, [{ value: 'after-end' }]);
      const after = await pollN(c, 1);
      assert.deepEqual(
        after.map((r) => [r.offset, r.value]),
        [[10, 'after-end']],
      );
    });

    test('a new group can start from the end', async (t) => {
      const b = await open(t);
      if (!b) return;
      const topic = unique('start-end');
      await b.produce(topic, [{ value: 'old' }]);
      const c = b.consumer({ group: unique('g'), topics: [topic], startFrom: 'end' });
      t.after(() => c.close());
      await settle([c], () => c.assignment().length === 1, settleMs);
      assert.deepEqual(await c.poll({ maxWaitMs: 500 }), []);
      await b.produce(topic, [{ value: 'new' }]);
      assert.deepEqual(
        (await pollN(c, 1)).map((r) => r.value),
        ['new'],
      );
    });

    test('listGroups reports committed offsets, end offsets and lag', async (t) => {
      const b = await open(t);
      if (!b) return;
      const topic = unique('lag');
      const group = unique('g');
      await b.produce(
        topic,
        Array.from({ length: 10 }, (_, i) => ({ value: i })),
      );
      const c = b.consumer({ group, topics: [topic] });
      t.after(() => c.close());
      await pollN(c, 6);
      await c.commit([{ topic, partition: 0, offset: 6 }]);
      const rows = await b.listGroups(group);
      assert.deepEqual(rows, [{ group, topic, partition: 0, committed: 6, endOffset: 10, lag: 4 }]);
      assert.ok((await b.listGroups()).some((r) => r.group === group && r.lag === 4));
    });

    test('a topic deleted and created again is a new stream: read from its start, or refused with fail', async (t) => {
      const b = await open(t);
      if (!b) return;
      const topic = unique('recreated');
      await b.produce(
        topic,
        Array.from({ length: 20 }, (_, i) => ({ value: { old: i } })),
      );
      const reader = b.consumer({ group: unique('g'), topics: [topic] });
      const strict = b.consumer({ group: unique('g'), topics: [topic], onRecreatedTopic: 'fail' });
      t.after(() => reader.close());
      t.after(() => strict.close());
      assert.equal((await pollN(reader, 20)).length, 20);
      assert.equal((await pollN(strict, 20)).length, 20);
      const before = (await b.describeTopic(topic))!.id!;
      await b.deleteTopic(topic);
      // Kafka deletes in the background: creating the name again succeeds once it is gone.
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          await b.produce(
            topic,
            Array.from({ length: 5 }, (_, i) => ({ value: { new: i } })),
          );
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      const now = (await b.describeTopic(topic))!.id!;
      assert.notEqual(now, before);
      // The commit of the last old batch lands on the name after the recreate (poll, write, commit races a
      // producer that recreates its topic): the new topic's records must still all be read.
      await reader.commit([{ topic, partition: 0, offset: 20 }]);
      // The old positions (20) are past the new topic's end: reading on from there would skip its records.
      // Kafka may answer "unknown topic" while the name moves to the new topic: retriable, as the runtime does.
      const fresh: StreamRecord[] = [];
      const until = Date.now() + 30_000;
      while (fresh.length < 5 && Date.now() < until) {
        try {
          fresh.push(...(await reader.poll({ maxRecords: 5 - fresh.length, maxWaitMs: 200 })));
        } catch (err) {
          if (!(err as RunnelError).retriable) throw err;
        }
      }
      assert.deepEqual(
        fresh.map((r) => [r.offset, r.value]),
        Array.from({ length: 5 }, (_, i) => [i, { new: i }]),
      );
      // 'fail': poll throws before handing out any record of the new topic.
      const seen: StreamRecord[] = [];
      const failed = await (async () => {
        const until = Date.now() + 30_000;
        while (Date.now() < until) {
          try {
            seen.push(...(await strict.poll({ maxRecords: 100, maxWaitMs: 200 })));
          } catch (err) {
            if (!(err as RunnelError).retriable) return err as RunnelError;
          }
        }
        return undefined;
      })();
      assert.deepEqual(seen, [], 'nothing of the new topic reached the strict consumer');
      assert.equal(failed?.code, ErrorCodes.TOPIC_RECREATED, String(failed));
      assert.deepEqual(failed.value, { topic, before, now });
      // An id given up front counts from the first poll: the caller's output was written from another topic.
      const late = b.consumer({
        group: unique('g'),
        topics: [topic],
        onRecreatedTopic: 'fail',
        topicIds: new Map([[topic, before]]),
      });
      t.after(() => late.close());
      await assert.rejects(pollN(late, 5, 30_000), (err: RunnelError) => err.code === ErrorCodes.TOPIC_RECREATED);
    });

    test('read() without a group, from any offset', async (t) => {
      const b = await open(t);
      if (!b) return;
      const topic = unique('read');
      await b.produce(
        topic,
        Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: { i } })),
      );
      const some = await b.read(topic, 0, 3, 4);
      assert.deepEqual(
        some.map((r) => [r.offset, r.key, r.value]),
        [
          [3, 'k3', { i: 3 }],
          [4, 'k4', { i: 4 }],
          [5, 'k5', { i: 5 }],
          [6, 'k6', { i: 6 }],
        ],
      );
      assert.deepEqual(await b.read(topic, 0, 10, 5), []);
      assert.equal((await b.read(topic, 0, 0, 100)).length, 10);
      assert.deepEqual(await b.read(unique('nope'), 0, 0, 5), []);
      assert.deepEqual(await b.listGroups(unique('nobody')), []);
    });
  });
}
