import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FakeTask, runOperator } from '../../../test/support/fake-task.ts';
import { ErrorCodes } from '../../core/errors.ts';
import { aggregate, on } from '../aggregations/aggregate.ts';
import type { Aggregator } from '../aggregations/aggregator.ts';
import { count } from '../aggregations/count.ts';
import { max } from '../aggregations/max.ts';
import { min } from '../aggregations/min.ts';
import { sum } from '../aggregations/sum.ts';
import type { EngineRecord } from '../engine/operator.ts';
import { windowOperator } from './window-operator.ts';
import type { WindowSpec } from './window-spec.ts';

/**
 * Every window kind against a brute-force reference computed here from the definitions: the watermark
 * each record met on arrival, which windows it belongs to, which of them were closed then. Inputs are
 * random, out of order, late and duplicated; batching and crash+restore points are random too.
 */

interface Value {
  id: number;
  v: number;
}

/** Collects record ids: membership is the strongest check of which records a window holds. */
const collect = (): Aggregator<number, number[], number[]> => ({
  init: () => [],
  add: (acc, id) => {
    acc.push(id);
    return acc;
  },
  merge: (a, b) => a.concat(b),
  result: (acc) => [...acc].sort((x, y) => x - y),
});

const aggregator = () =>
  aggregate<
    Value,
    {
      n: ReturnType<typeof count>;
      s: ReturnType<typeof sum>;
      lo: ReturnType<typeof min>;
      hi: ReturnType<typeof max>;
      ids: ReturnType<typeof collect>;
    }
  >(
    { n: count(), s: sum(), lo: min(), hi: max(), ids: collect() },
    { s: (x) => x.v, lo: (x) => x.v, hi: (x) => x.v, ids: (x) => x.id },
  );

interface Input {
  key: string;
  t: number;
  v: number;
}

const KEYS = ['a', 'b', 'c', 'd'];

/**
 * Random records, some duplicated (re-sent later, as a producer retry would), then delivered out of
 * order: each arrives at its event time plus a random delay (up to `jitter`, so some beyond the
 * watermark's bound), and a few much later still (late beyond any lateness).
 */
const inputArb = fc
  .tuple(
    fc.array(
      fc.record({
        key: fc.constantFrom(...KEYS),
        t: fc.integer({ min: 0, max: 300 }),
        v: fc.integer({ min: -50, max: 50 }),
        delay: fc.oneof(
          { weight: 9, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
          { weight: 1, arbitrary: fc.integer({ min: 2, max: 10 }) },
        ),
      }),
      { minLength: 1, maxLength: 80, size: 'large' },
    ),
    fc.array(fc.nat(), { maxLength: 12 }),
    fc.integer({ min: 0, max: 80 }),
  )
  .map(([base, dupes, jitter]) => {
    const all = [...base];
    for (const d of dupes) all.push({ ...base[d % base.length]!, delay: base[(d * 7 + 3) % base.length]!.delay });
    const arrival = all.map((r, i) => ({ r, at: r.t + r.delay * jitter * (r.delay > 1 ? 10 : 1), i }));
    arrival.sort((x, y) => x.at - y.at || x.i - y.i);
    return arrival.map(({ r: { key, t, v } }): Input => ({ key, t, v }));
  });

const toRecords = (inputs: Input[]): EngineRecord<Value>[] =>
  inputs.map((r, id) => ({
    key: r.key,
    value: { id, v: r.v },
    timestamp: r.t,
    headers: {},
    origin: { topic: 'in', partition: 0, offset: id },
  }));

/** The watermark each record met on arrival: max event time before it − bound. */
function watermarksAtArrival(inputs: Input[], bound: number): number[] {
  let maxSeen = Number.NEGATIVE_INFINITY;
  return inputs.map((r) => {
    const wm = maxSeen - bound;
    maxSeen = Math.max(maxSeen, r.t);
    return wm;
  });
}

interface RefWindow {
  key: string;
  start: number;
  end: number;
  ids: number[];
  count?: number;
}
interface Reference {
  windows: RefWindow[];
  late: number[];
}

function referenceFixed(
  inputs: Input[],
  bound: number,
  L: number,
  size: number,
  advance: number,
  offset: number,
): Reference {
  const wms = watermarksAtArrival(inputs, bound);
  const windows = new Map<string, RefWindow>();
  const late: number[] = [];
  inputs.forEach((r, id) => {
    // Every aligned window [offset + k·advance, … + size) that holds t, found by scanning k.
    let anyOpen = false;
    const kMin = Math.floor((r.t - offset - size) / advance) - 1;
    const kMax = Math.floor((r.t - offset) / advance) + 1;
    for (let k = kMin; k <= kMax; k++) {
      const start = offset + k * advance;
      const end = start + size;
      if (!(start <= r.t && r.t < end)) continue;
      if (wms[id]! >= end + L) continue;
      anyOpen = true;
      const name = `${r.key}/${start}`;
      const w = windows.get(name) ?? { key: r.key, start, end, ids: [] };
      w.ids.push(id);
      windows.set(name, w);
    }
    if (!anyOpen) late.push(id);
  });
  return { windows: [...windows.values()], late };
}

function referenceSliding(inputs: Input[], bound: number, L: number, size: number): Reference {
  const wms = watermarksAtArrival(inputs, bound);
  const late: number[] = [];
  const accepted: number[] = [];
  inputs.forEach((r, id) => {
    if (wms[id]! >= r.t + size + L) late.push(id);
    else accepted.push(id);
  });
  // A window at (key, t) exists if a record at t arrived while it was open; it holds the accepted
  // records of the key in (t − size, t] that arrived while it was open.
  const windows = new Map<string, RefWindow>();
  for (const id of accepted) {
    const r = inputs[id]!;
    if (wms[id]! < r.t + 1 + L)
      windows.set(`${r.key}/${r.t}`, { key: r.key, start: r.t - size + 1, end: r.t + 1, ids: [] });
  }
  for (const w of windows.values()) {
    const t = w.end - 1;
    for (const id of accepted) {
      const r = inputs[id]!;
      if (r.key === w.key && r.t > t - size && r.t <= t && wms[id]! < t + 1 + L) w.ids.push(id);
    }
  }
  return { windows: [...windows.values()], late };
}

function referenceSession(inputs: Input[], bound: number, L: number, gap: number): Reference {
  const wms = watermarksAtArrival(inputs, bound);
  const late: number[] = [];
  const done: RefWindow[] = [];
  // Open sessions per key as lists of record ids; a session spans [min t, max t + gap).
  const open = new Map<string, number[][]>();
  const span = (ids: number[]) => {
    const ts = ids.map((i) => inputs[i]!.t);
    return { start: Math.min(...ts), last: Math.max(...ts) };
  };
  const closeUpTo = (wm: number) => {
    for (const [key, sessions] of open) {
      open.set(
        key,
        sessions.filter((ids) => {
          const { start, last } = span(ids);
          if (last + gap + L > wm) return true;
          done.push({ key, start, end: last + gap, ids });
          return false;
        }),
      );
    }
  };
  inputs.forEach((r, id) => {
    closeUpTo(wms[id]!);
    const sessions = open.get(r.key) ?? [];
    // Two records share a session when they are less than `gap` apart, chaining.
    const near = sessions.filter((ids) => ids.some((i) => Math.abs(inputs[i]!.t - r.t) < gap));
    if (near.length === 0 && wms[id]! >= r.t + gap + L) {
      late.push(id);
      return;
    }
    const merged = [id, ...near.flat()];
    open.set(r.key, [...sessions.filter((s) => !near.includes(s)), merged]);
  });
  closeUpTo(Number.POSITIVE_INFINITY);
  return { windows: done, late };
}

function referenceCount(inputs: Input[], size: number, advance: number): Reference {
  const byKey = new Map<string, number[]>();
  inputs.forEach((r, id) => {
    byKey.set(r.key, [...(byKey.get(r.key) ?? []), id]);
  });
  const windows: RefWindow[] = [];
  for (const [key, ids] of byKey) {
    for (let f = 0; f + size <= ids.length; f += advance) {
      const members = ids.slice(f, f + size);
      const ts = members.map((i) => inputs[i]!.t);
      windows.push({ key, start: Math.min(...ts), end: Math.max(...ts), ids: members, count: size });
    }
  }
  return { windows, late: [] };
}

/** What the reference says each final output record holds, in a canonical order. */
function expectedValues(ref: Reference, inputs: Input[]) {
  return ref.windows
    .map((w) => {
      const vs = w.ids.map((i) => inputs[i]!.v);
      return {
        key: w.key,
        start: w.start,
        end: w.end,
        final: true,
        ...(w.count === undefined ? {} : { count: w.count }),
        n: w.ids.length,
        s: vs.reduce((a, b) => a + b, 0),
        lo: Math.min(...vs),
        hi: Math.max(...vs),
        ids: [...w.ids].sort((a, b) => a - b),
      };
    })
    .sort(canonical);
}

const canonical = (
  a: { key: string | null; start: number; end: number },
  b: { key: string | null; start: number; end: number },
) => String(a.key).localeCompare(String(b.key)) || a.start - b.start || a.end - b.end;

const finals = (emitted: EngineRecord[]) =>
  emitted
    .map((r) => r.value as { key: string; start: number; end: number; final: boolean })
    .filter((v) => v.final)
    .sort(canonical);

interface Case {
  name: string;
  window: (p: Params) => WindowSpec;
  reference: (inputs: Input[], p: Params) => Reference;
  count?: boolean;
}
interface Params {
  bound: number;
  lateness: number;
  size: number;
  advance: number;
  offset: number;
}

const paramsArb = fc
  .record({
    bound: fc.integer({ min: 0, max: 40 }),
    lateness: fc.integer({ min: 0, max: 40 }),
    size: fc.integer({ min: 1, max: 60 }),
    advanceFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    offset: fc.integer({ min: -30, max: 30 }),
  })
  .map(({ advanceFraction, ...p }) => ({ ...p, advance: Math.max(1, Math.ceil(p.size * advanceFraction)) }));

const cases: Case[] = [
  {
    name: 'tumbling',
    window: (p) => ({ type: 'tumbling', size: p.size, offset: p.offset }),
    reference: (x, p) => referenceFixed(x, p.bound, p.lateness, p.size, p.size, p.offset),
  },
  {
    name: 'hopping',
    window: (p) => ({ type: 'hopping', size: p.size, advance: p.advance, offset: p.offset }),
    reference: (x, p) => referenceFixed(x, p.bound, p.lateness, p.size, p.advance, p.offset),
  },
  {
    name: 'sliding',
    window: (p) => ({ type: 'sliding', size: p.size }),
    reference: (x, p) => referenceSliding(x, p.bound, p.lateness, p.size),
  },
  {
    name: 'session',
    window: (p) => ({ type: 'session', gap: Math.max(1, Math.ceil(p.size / 2)) }),
    reference: (x, p) => referenceSession(x, p.bound, p.lateness, Math.max(1, Math.ceil(p.size / 2))),
  },
  {
    name: 'tumbling by count',
    window: (p) => ({ type: 'tumbling-count', size: 1 + (p.size % 7) }),
    reference: (x, p) => referenceCount(x, 1 + (p.size % 7), 1 + (p.size % 7)),
    count: true,
  },
  {
    name: 'hopping by count',
    window: (p) => ({ type: 'hopping-count', size: 1 + (p.size % 7), advance: 1 + (p.advance % (1 + (p.size % 7))) }),
    reference: (x, p) => referenceCount(x, 1 + (p.size % 7), 1 + (p.advance % (1 + (p.size % 7)))),
    count: true,
  },
  {
    name: 'sliding by count',
    window: (p) => ({ type: 'sliding-count', size: 1 + (p.size % 7) }),
    reference: (x, p) => referenceCount(x, 1 + (p.size % 7), 1),
    count: true,
  },
];

const RUNS = Number(process.env.RUNNEL_PROPERTY_RUNS ?? 300);
const END = 1_000_000;

for (const c of cases) {
  test(`${c.name} windows: final results and late records equal the brute-force reference`, () => {
    fc.assert(
      fc.property(inputArb, paramsArb, (inputs, p) => {
        const spec = windowOperator({
          name: 'w',
          window: c.window(p),
          aggregate: aggregator(),
          allowedLateness: p.lateness,
        });
        const run = runOperator(spec, toRecords(inputs), { outOfOrderness: p.bound, endWatermark: END });
        const ref = c.reference(inputs, p);
        assert.deepEqual(finals(run.emitted), expectedValues(ref, inputs));
        assert.deepEqual(
          run.late.map((l) => (l.record.value as Value).id),
          ref.late,
        );
        assert.equal(run.dead.length, 0);
        // Closed windows leave no state behind (count windows keep each key's counter and filling windows).
        if (!c.count) assert.equal(run.task.storeSize('w.windows'), 0);
        for (const r of run.emitted) {
          const v = r.value as { end: number; key: string };
          assert.equal(r.key, v.key);
          assert.equal(r.timestamp, c.count ? v.end : v.end - 1);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test(`${c.name} windows: the same output however the input is batched, and across crash + restore`, () => {
    fc.assert(
      fc.property(
        inputArb,
        paramsArb,
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat({ max: 30 }), { maxLength: 4 }),
        (inputs, p, batches, restores) => {
          const make = () =>
            windowOperator({ name: 'w', window: c.window(p), aggregate: aggregator(), allowedLateness: p.lateness });
          const records = toRecords(inputs);
          const one = runOperator(make(), records, { outOfOrderness: p.bound, endWatermark: END });
          const batched = runOperator(make(), records, { outOfOrderness: p.bound, batches, endWatermark: END });
          const restored = runOperator(make(), records, {
            outOfOrderness: p.bound,
            batches,
            restoreAfter: new Set(restores),
            endWatermark: END,
          });
          const view = (r: typeof one) => ({
            out: r.emitted.map((e, i) => [r.emittedAt[i], e.key, e.timestamp, e.value]),
            late: r.late.map((l) => [(l.record.value as Value).id, l.reason]),
          });
          assert.deepEqual(view(batched), view(one));
          assert.deepEqual(view(restored), view(one));
        },
      ),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });

  test(`${c.name} windows, emit 'updates': the finals are unchanged, and each window's updates lead up to its final`, () => {
    fc.assert(
      fc.property(inputArb, paramsArb, (inputs, p) => {
        const make = (emit: 'final' | 'updates') =>
          windowOperator({
            name: 'w',
            window: c.window(p),
            aggregate: aggregator(),
            allowedLateness: p.lateness,
            emit,
          });
        const records = toRecords(inputs);
        const plain = runOperator(make('final'), records, { outOfOrderness: p.bound, endWatermark: END });
        const updating = runOperator(make('updates'), records, { outOfOrderness: p.bound, endWatermark: END });
        const values = updating.emitted.map(
          (r) => r.value as { key: string; start: number; end: number; final: boolean; n: number; count?: number },
        );
        assert.deepEqual(
          values.filter((v) => v.final),
          plain.emitted.map((r) => r.value),
        );
        // Batches of one record: an update follows every change, so the last update of a time window is its final result.
        const lastUpdate = new Map<string, (typeof values)[number]>();
        const finalSeen = new Set<string>();
        for (const v of values) {
          const id = c.count ? `${v.key}` : `${v.key}/${v.start}/${v.end}`;
          if (!v.final) {
            assert.ok(c.count || !finalSeen.has(id), 'no update after the final result');
            lastUpdate.set(id, v);
            continue;
          }
          if (c.count) continue;
          finalSeen.add(id);
          assert.deepEqual({ ...lastUpdate.get(id), final: true }, v);
        }
        if (c.count) for (const v of values) if (!v.final) assert.ok((v.count ?? 0) >= 1);
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });
}

test('a value the aggregation rejects goes to the dead letters with the reason, and changes no window', () => {
  const spec = windowOperator({
    name: 'w',
    window: { type: 'hopping', size: 10, advance: 5 },
    aggregate: aggregate({ s: on((x: { v: unknown }) => x.v as number, sum()), n: count() }),
  });
  const rec = (v: unknown, t: number, offset: number): EngineRecord => ({
    key: 'k',
    value: { v },
    timestamp: t,
    headers: {},
    origin: { topic: 'in', partition: 0, offset },
  });
  const run = runOperator(spec, [rec(1, 7, 0), rec('x', 7, 1), rec(Number.NaN, 8, 2), rec(2, 8, 3)], {
    outOfOrderness: 0,
    endWatermark: 100,
  });
  assert.deepEqual(
    run.dead.map((d) => [d.record.origin.offset, d.error.code]),
    [
      [1, ErrorCodes.INPUT_MALFORMED],
      [2, ErrorCodes.INPUT_MALFORMED],
    ],
  );
  assert.match(run.dead[0]!.error.message, /s: sum: expected a finite number, got "x"/);
  assert.deepEqual(
    run.emitted.map((r) => r.value),
    [
      { key: 'k', start: 0, end: 10, final: true, s: 3, n: 2 },
      { key: 'k', start: 5, end: 15, final: true, s: 3, n: 2 },
    ],
  );
});

test('a late record is sent to late with its window and the watermark in the reason', () => {
  const spec = windowOperator({
    name: 'w',
    window: { type: 'tumbling', size: 10 },
    aggregate: count(),
    allowedLateness: 5,
  });
  const records = [3, 40, 12, 9].map(
    (t, i): EngineRecord => ({
      key: 'k',
      value: i,
      timestamp: t,
      headers: {},
      origin: { topic: 'in', partition: 0, offset: i },
    }),
  );
  const run = runOperator(spec, records, { outOfOrderness: 0 });
  // After t=40 the watermark is 40: [0,10) closed (40 >= 15), [10,20) closed too (40 >= 25).
  assert.deepEqual(
    run.late.map((l) => [l.record.timestamp, l.reason]),
    [
      [12, 'window [10, 20) closed: watermark 40 >= end + allowed lateness 5 ms'],
      [9, 'window [0, 10) closed: watermark 40 >= end + allowed lateness 5 ms'],
    ],
  );
  assert.deepEqual(
    run.emitted.map((r) => [r.timestamp, r.value]),
    [[9, { key: 'k', start: 0, end: 10, final: true, value: 1 }]],
  );
});

test('onWatermark visits only the windows that close, not every key held', () => {
  const spec = windowOperator({ name: 'w', window: { type: 'tumbling', size: 10 }, aggregate: count() });
  const task = new FakeTask(spec, 0);
  const many = Array.from(
    { length: 20_000 },
    (_, i): EngineRecord => ({
      key: `k${i}`,
      value: 1,
      timestamp: 1_000 + (i % 5),
      headers: {},
      origin: { topic: 'in', partition: 0, offset: i },
    }),
  );
  task.runBatch(many);
  const store = task.store('w.windows');
  let reads = 0;
  const get = store.get.bind(store);
  store.get = ((k: string) => {
    reads++;
    return get(k);
  }) as typeof store.get;
  const entries = store.entries.bind(store);
  store.entries = () => {
    throw new Error('onWatermark must not scan the store');
  };
  // One window of one more key closes: the others are not touched.
  task.runBatch([
    { key: 'late-key', value: 1, timestamp: 0, headers: {}, origin: { topic: 'in', partition: 0, offset: -1 } },
  ]);
  store.entries = entries;
  assert.ok(reads <= 3, `${reads} reads`);
  task.advanceWatermark(1_010);
  assert.equal(task.emitted.length, 20_000);
});

test('bad options fail fast with the option named', () => {
  const agg = count();
  assert.throws(
    () => windowOperator({ name: 'w', window: { type: 'hopping', size: 5, advance: 10 }, aggregate: agg }),
    {
      code: ErrorCodes.CONFIG_INVALID,
      message: /advance \(10\) must not exceed size \(5\)/,
    },
  );
  assert.throws(
    () => windowOperator({ name: 'w', window: { type: 'session', gap: 0 }, aggregate: agg }),
    /gap must be/,
  );
  assert.throws(
    () => windowOperator({ name: 'w', window: { type: 'tumbling', size: 5 }, aggregate: agg, allowedLateness: -1 }),
    /allowedLateness/,
  );
});
