/**
 * How inputs give time. Idleness behind a keyBy: the task after a repartition hears from each upstream task
 * as one input; it must wait for it as long as the user's `idleTimeoutMs` says (it used 30 s whatever was
 * set), and an upstream task that reads on without moving its watermark must still count as alive
 * downstream. And what a number in an eventTime field counts (eventTimeUnit).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { partitionForKey } from '../../core/partitioner.ts';
import { TestDriver } from '../../testing/index.ts';
import { tumbling } from '../windows/window-spec.ts';
import { TopologyBuilder } from './topology.ts';

/** A record key of the 2-partition input that lands on partition `p`. */
const keyOn = (p: number) => ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].find((k) => partitionForKey(k, 2) === p)!;
const User = z.object({ user: z.string() });
type V = z.infer<typeof User>;
type Piped = { key: string; value: V; timestamp: number };

function build(rekey: boolean, idleTimeoutMs?: number) {
  const t = new TopologyBuilder('idle', { partitions: 2 });
  const s = t.stream('in', { schema: User, ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }) });
  const keyed = rekey ? s.keyBy((v) => v.user) : s.keyedByTopic();
  keyed
    .window(tumbling(1000))
    .aggregate((a) => ({ n: a.count() }))
    .to('out');
  return new TestDriver(t.compile(), { partitions: 2 });
}

/** Counts per (key, window start) of every piped record: what the windows must say when nothing is late. */
function reference(piped: Piped[], keyOf: (r: Piped) => string): string[] {
  const counts = new Map<string, number>();
  for (const r of piped) {
    const k = `${keyOf(r)}@${Math.floor(r.timestamp / 1000) * 1000}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k}=${n}`).sort();
}

function run(d: TestDriver, steps: Array<Piped | number>) {
  const piped: Piped[] = [];
  for (const s of steps) {
    if (typeof s === 'number') d.advanceTime(s);
    else {
      d.pipe('in', [s]);
      piped.push(s);
    }
  }
  d.end();
  const out = d.outputs('out').filter((r) => (r.value as { final?: boolean }).final);
  const got = out.map((r) => {
    const v = r.value as { start: number; n: number };
    return `${r.key}@${v.start}=${v.n}`;
  });
  return { piped, got: got.sort(), late: d.values('in.late') };
}

/**
 * Partition 1 speaks again 300 ms of event time after its last record, after 31 s of quiet, while
 * partition 0 goes on (a record every 5 s, its event time standing still, then one far ahead).
 */
const quietPartition = (): Array<Piped | number> => [
  { key: keyOn(1), value: { user: 'u' }, timestamp: 500 },
  { key: keyOn(0), value: { user: 'u' }, timestamp: 100 },
  ...Array.from({ length: 7 }, () => [5000, { key: keyOn(0), value: { user: 'u' }, timestamp: 100 }]).flat(),
  { key: keyOn(0), value: { user: 'u' }, timestamp: 5000 },
  { key: keyOn(1), value: { user: 'u' }, timestamp: 800 },
];

/** The same two partitions, both quiet for 31 s (a paused source, a stalled worker), then partition 0 first. */
const quietInput = (): Array<Piped | number> => [
  { key: keyOn(1), value: { user: 'u' }, timestamp: 500 },
  { key: keyOn(0), value: { user: 'u' }, timestamp: 100 },
  31_000,
  { key: keyOn(0), value: { user: 'u' }, timestamp: 5000 },
  { key: keyOn(1), value: { user: 'u' }, timestamp: 800 },
];

test("a partition quiet for less than the user's idleTimeoutMs holds the watermark, with or without a keyBy", () => {
  for (const rekey of [false, true]) {
    const { piped, got, late } = run(build(rekey, 60_000), quietPartition());
    assert.deepEqual(late, [], `keyBy: ${rekey}`);
    assert.deepEqual(
      got,
      reference(piped, (r) => (rekey ? r.value.user : r.key)),
      `keyBy: ${rekey}`,
    );
  }
  // And with the default 30 s it did go idle: the test sees the difference it is about.
  const { late } = run(build(true), quietPartition());
  assert.equal(late.length, 1);
});

test('after a silence of the whole input past the idle timeout, the partition that speaks first does not make the others late', () => {
  for (const rekey of [false, true]) {
    const { piped, got, late } = run(build(rekey), quietInput());
    assert.deepEqual(late, [], `keyBy: ${rekey}`);
    assert.deepEqual(
      got,
      reference(piped, (r) => (rekey ? r.value.user : r.key)),
      `keyBy: ${rekey}`,
    );
  }
});

test('a source sparser than the idle timeout, with a partition that gets no records, still moves the watermark behind a keyBy', () => {
  // Partition 1 gets nothing (so its upstream task sends nothing downstream); partition 0 a record every 40 s.
  const d = build(true);
  for (let i = 0; i < 10; i++) {
    d.pipe('in', [{ key: keyOn(0), value: { user: 'u' }, timestamp: i * 10_000 }]);
    d.advanceTime(40_000);
  }
  const closed = d.outputs('out').filter((r) => (r.value as { final?: boolean }).final);
  // The silent upstream task is given one fresh timeout at most, not one at every record: it never delivers.
  assert.ok(closed.length >= 8, `windows closed before the end: ${closed.length}`);
});

test('an upstream task reading records of one event time stays alive for the partitions that get none of its keys', () => {
  // Users on the two downstream partitions; `x` is only ever read from input partition 1.
  const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
  const x = users.find((u) => partitionForKey(u, 2) === 0)!;
  const y = users.find((u) => partitionForKey(u, 2) === 1)!;
  const steps: Array<Piped | number> = [
    { key: keyOn(1), value: { user: x }, timestamp: 500 },
    { key: keyOn(0), value: { user: y }, timestamp: 100 },
    { key: keyOn(0), value: { user: y }, timestamp: 5000 },
  ];
  // Input partition 1 reads on for 40 s, every record at the same event time: its watermark stands still,
  // and its records all go to x's partition, never to y's. Partition 0 goes on writing y's, so y's
  // partition has an active input and would move on without partition 1 (all idle holds, Flink's rule).
  for (let i = 0; i < 8; i++)
    steps.push(
      5000,
      { key: keyOn(1), value: { user: x }, timestamp: 500 },
      { key: keyOn(0), value: { user: y }, timestamp: 5000 },
    );
  // Then a record of y from partition 1, 100 ms past its newest: on time by the guide's rule.
  steps.push({ key: keyOn(1), value: { user: y }, timestamp: 600 });
  const { piped, got, late } = run(build(true), steps);
  assert.deepEqual(late, []);
  assert.deepEqual(
    got,
    reference(piped, (r) => r.value.user),
  );
});

test('eventTimeUnit: a field of ms that do not count from the epoch is read as ms when it says so', () => {
  const starts = (unit?: 'ms' | 's' | 'auto') => {
    const t = new TopologyBuilder('et');
    t.stream('in', {
      schema: z.object({ ts: z.union([z.number(), z.string()]) }),
      eventTime: 'ts',
      ...(unit ? { eventTimeUnit: unit } : {}),
    })
      .keyedByTopic()
      .window(tumbling(1000))
      .aggregate((a) => ({ n: a.count() }))
      .to('out');
    const d = new TestDriver(t.compile());
    const times = [500, '1500', 2500, 1.7e12];
    d.pipe(
      'in',
      times.map((ts) => ({ key: 'k', value: { ts } })),
    );
    d.end();
    const got = d
      .values<{ start: number; final?: boolean }>('out')
      .filter((w) => w.final)
      .map((w) => w.start);
    // The reference: each time as the unit says, floored to its window.
    const ms = (x: number) => (unit === 'ms' ? x : unit === 's' || x < 1e11 ? x * 1000 : x);
    return { got, want: times.map((x) => Math.floor(ms(Number(x)) / 1000) * 1000).sort((a, b) => a - b) };
  };
  for (const unit of [undefined, 'auto', 'ms', 's'] as const) {
    const { got, want } = starts(unit);
    assert.deepEqual(got, want, `unit ${unit}`);
  }
  assert.deepEqual(starts('ms').got.slice(0, 3), [0, 1000, 2000]);
  assert.throws(
    () => new TopologyBuilder('et').stream('in', { eventTimeUnit: 'ms' }),
    /eventTimeUnit says what the eventTime field counts/,
  );
});

test('a table joined to a stream holds no window back, neither at the start nor after an update', () => {
  const t = new TopologyBuilder('tj');
  const users = t.table('users', { schema: z.object({ country: z.string() }) });
  t.stream('clicks', { schema: User })
    .keyBy((c) => c.user)
    .join(users, (_c, u) => ({ country: u.country }))
    .keyBy((j) => j.country)
    .window(tumbling(1000))
    .aggregate((a) => ({ n: a.count() }))
    .to('out');
  const d = new TestDriver(t.compile());
  const clicks: number[] = [];
  const click = (ts: number) => {
    d.pipe('clicks', [{ key: 'ann', value: { user: 'ann' }, timestamp: ts }]);
    clicks.push(ts);
  };
  // Closed by now: every window of a click that ends at or before the newest click (no lateness allowed).
  const closed = () =>
    new Set(clicks.map((c) => Math.floor(c / 1000) * 1000).filter((s) => s + 1000 <= Math.max(...clicks)));
  const finals = () =>
    d
      .values<{ start: number; final: boolean }>('out')
      .filter((w) => w.final)
      .map((w) => w.start);
  d.pipe('users', [{ key: 'ann', value: { country: 'fr' }, timestamp: 0 }]);
  for (let i = 0; i < 10; i++) click(1000 * i + 10);
  assert.deepEqual(
    finals(),
    [...closed()].sort((a, b) => a - b),
  );
  // A table update with an old time: no stall either.
  d.pipe('users', [{ key: 'bob', value: { country: 'de' }, timestamp: 5 }]);
  for (let i = 10; i < 15; i++) click(1000 * i + 10);
  assert.deepEqual(
    finals(),
    [...closed()].sort((a, b) => a - b),
  );
  assert.ok(finals().length >= 13);
});

test('a table fed unkeyed records dead-letters them; a join that misses its table says so once; a misspelt eventTime field is refused at build', () => {
  const warnings: string[] = [];
  const log = { info() {}, debug() {}, error() {}, warn: (m: string) => warnings.push(m) };
  const t = new TopologyBuilder('tk');
  const users = t.table('users', { schema: z.object({ country: z.string() }) });
  t.stream('clicks', { schema: User })
    .keyBy((c) => c.user)
    .join(users, (c, u) => ({ user: c.user, country: u.country }))
    .to('joined');
  const d = new TestDriver(t.compile(), { log });
  d.pipe('users', [{ value: { country: 'fr' } }, { key: 'ann', value: { country: 'fr' } }]);
  const dead = d.values<{ error: { message: string } }>('users.dlq');
  assert.equal(dead.length, 1);
  assert.match(dead[0]!.error.message, /a table entry needs a key/);
  // Ann is in the table, bob and cy are not: two records miss, one warning.
  d.pipe(
    'clicks',
    ['bob', 'ann', 'cy'].map((user) => ({ key: user, value: { user } })),
  );
  assert.deepEqual(d.values('joined'), [{ user: 'ann', country: 'fr' }]);
  const misses = warnings.filter((w) => /found no value in the table/.test(w));
  assert.equal(misses.length, 1, warnings.join('\n'));
  assert.match(misses[0]!, /key "bob" found no value in the table/);
  assert.throws(
    () =>
      new TopologyBuilder('et').stream('in', {
        schema: z.object({ ts: z.number(), v: z.number() }),
        eventTime: 'tss' as never,
      }),
    /stream in: eventTime "tss" is no field of its schema \(did you mean "ts"\? fields: ts, v\)/,
  );
});
