import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { TestDriver } from '../../testing/index.ts';
import { hopping, tumbling } from '../windows/window-spec.ts';
import { valueStore } from './stores.ts';
import { TopologyBuilder } from './topology.ts';

const Msg = z.object({ author: z.string(), text: z.string(), n: z.number() });
type Msg = z.infer<typeof Msg>;

/** A small deterministic generator, so every case is reproducible by its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function messages(seed: number, count: number): Msg[] {
  const r = rng(seed);
  const authors = ['ann', 'bo', 'cy', 'di', 'ed', 'flo'];
  return Array.from({ length: count }, (_, i) => ({
    author: authors[Math.floor(r() * authors.length)]!,
    text: `m${i}`,
    n: Math.floor(r() * 100),
  }));
}

function countsTopology(partitions: number) {
  const t = new TopologyBuilder('test', { partitions });
  t.stream('in', { schema: Msg })
    .filter((m) => m.n % 3 !== 0)
    .keyBy((m) => m.author)
    .process({ name: 'totals', stores: { sum: valueStore<{ count: number; total: number }>() } }, (m, ctx) => {
      const cur = ctx.stores.sum.get() ?? { count: 0, total: 0 };
      const next = { count: cur.count + 1, total: cur.total + m.n };
      ctx.stores.sum.set(next);
      ctx.emit({ author: ctx.key, ...next });
    })
    .to('out');
  return t.compile();
}

function reference(msgs: Msg[]) {
  const out = new Map<string, { count: number; total: number }>();
  for (const m of msgs) {
    if (m.n % 3 === 0) continue;
    const cur = out.get(m.author) ?? { count: 0, total: 0 };
    out.set(m.author, { count: cur.count + 1, total: cur.total + m.n });
  }
  return out;
}

describe('topology: keyBy repartitions, per-key state, restart from committed state', () => {
  for (const partitions of [1, 3]) {
    for (const seed of [1, 2, 3]) {
      it(`${partitions} partition(s), seed ${seed}: final state and last output per key equal a brute-force count`, () => {
        const msgs = messages(seed, 400);
        const procs = countsTopology(partitions);
        assert.equal(procs.length, 2, 'keyBy before a stateful step splits the dataflow at a repartition topic');
        const d = new TestDriver(procs, { partitions });
        const r = rng(seed + 100);
        for (let i = 0; i < msgs.length; ) {
          const n = 1 + Math.floor(r() * 50);
          d.pipe(
            'in',
            msgs.slice(i, i + n).map((value, j) => ({ key: `k${i + j}`, value, timestamp: i + j })),
          );
          i += n;
          if (r() < 0.2) d.restart();
        }
        const expected = reference(msgs);
        const state = d.state<{ count: number; total: number }>('totals.sum');
        assert.deepEqual(new Map([...state].sort()), new Map([...expected].sort()));
        const last = new Map<string, { count: number; total: number }>();
        for (const v of d.values<{ author: string; count: number; total: number }>('out')) {
          last.set(v.author, { count: v.count, total: v.total });
        }
        assert.deepEqual(new Map([...last].sort()), new Map([...expected].sort()));
      });
    }
  }

  it('sends a record that does not fit the schema to the dead-letter topic with the reason', () => {
    const d = new TestDriver(countsTopology(1));
    d.pipe('in', [{ value: { author: 'ann', text: 'x', n: 'NaN' } }, { value: { author: 'ann', text: 'y', n: 1 } }]);
    const dead = d.values<{ error: { code: string; message: string } }>('in.dlq');
    assert.equal(dead.length, 1);
    assert.equal(dead[0]!.error.code, 'RUNNEL_SCHEMA_MISMATCH');
    assert.match(dead[0]!.error.message, /n: /);
    assert.equal(d.values('out').length, 1);
  });

  it('a throwing step dead-letters the record and the pipeline goes on', () => {
    const t = new TopologyBuilder('test');
    t.stream('in', { schema: Msg })
      .map((m) => {
        if (m.n === 13) throw new Error('unlucky');
        return m.n;
      })
      .to('out');
    const d = new TestDriver(t.compile());
    d.pipe(
      'in',
      [1, 13, 2].map((n) => ({ value: { author: 'a', text: '', n } })),
    );
    assert.deepEqual(d.values('out'), [1, 2]);
    assert.match(d.values<{ error: { message: string } }>('in.dlq')[0]!.error.message, /unlucky/);
  });

  it('branch sends each record to the first matching branch, merge joins them back', () => {
    const t = new TopologyBuilder('test');
    const [small, mid, rest] = t.stream('in', { schema: z.number() }).branch(
      (n) => n < 10,
      (n) => n < 100,
    );
    small!.map((n) => `s${n}`).to('small');
    mid!
      .map((n) => `m${n}`)
      .merge(rest!.map((n) => `r${n}`))
      .to('other');
    const d = new TestDriver(t.compile());
    d.pipe(
      'in',
      [5, 50, 500, 9, 99].map((value) => ({ value })),
    );
    assert.deepEqual(d.values('small'), ['s5', 's9']);
    assert.deepEqual(d.values('other'), ['m50', 'r500', 'm99']);
  });

  it('joins a stream with the latest value per key of a table', () => {
    const t = new TopologyBuilder('test', { partitions: 2 });
    const names = t.table('names', { schema: z.string() });
    t.stream('events', { schema: z.object({ v: z.number() }) })
      .join(names, (e, name) => `${name}:${e.v}`)
      .to('out');
    const d = new TestDriver(t.compile(), { partitions: 2 });
    d.pipe('events', [{ key: 'a', value: { v: 1 } }]);
    d.pipe('names', [
      { key: 'a', value: 'Ann' },
      { key: 'b', value: 'Bo' },
    ]);
    d.pipe('events', [
      { key: 'a', value: { v: 2 } },
      { key: 'b', value: { v: 3 } },
    ]);
    d.pipe('names', [{ key: 'a', value: 'Anna' }]);
    d.restart();
    d.pipe('events', [{ key: 'a', value: { v: 4 } }]);
    assert.deepEqual(d.values('out').sort(), ['Ann:2', 'Anna:4', 'Bo:3']);
  });
});

describe('topology: a run after the input ended', () => {
  for (const keyed of [false, true]) {
    it(`${keyed ? 'behind a repartition' : 'on the source stream'}: windows closed at the end never emit again; later records go to .late`, () => {
      const t = new TopologyBuilder('test', { partitions: 2 });
      const s = t.stream('in', { schema: Msg, eventTime: (m) => m.n * 1000 });
      (keyed ? s.keyBy((m) => m.author) : s)
        .window(tumbling(10_000))
        .aggregate((a) => ({ count: a.count() }))
        .to('out');
      const d = new TestDriver(t.compile(), { partitions: 2 });
      const r = rng(7);
      const batch = (from: number, n: number) =>
        Array.from({ length: n }, (_, i) => {
          const value = { author: ['Ann', 'Bo', 'Cy'][i % 3]!, text: 'm', n: from + Math.floor(r() * 30) };
          return { key: value.author, value };
        });
      d.pipe('in', batch(0, 40));
      d.end();
      const first = d.values<{ key: string; start: number }>('out').map((o) => `${o.key}@${o.start}`);
      assert.ok(first.length > 0);
      // Late records behind a keyBy are named by the topic the user wrote (in.late), not the internal one.
      const lateOf = () => d.values('in.late').length;
      // Out of order within the first run (no allowed out-of-orderness): some are late already.
      const lateBefore = lateOf();
      d.restart();
      const later = [...batch(0, 20), ...batch(100, 20)];
      d.pipe('in', later);
      d.end();
      const all = d.values<{ key: string; start: number }>('out').map((o) => `${o.key}@${o.start}`);
      assert.deepEqual(all, first, 'nothing emitted after the end: a window emitted twice would be two results');
      assert.equal(lateOf() - lateBefore, later.length, 'every record read after the end is in a .late topic');
    });
  }
});

describe('topology: windows through the DSL', () => {
  for (const seed of [11, 12, 13]) {
    it(`seed ${seed}: tumbling 10 s counts and sums per author equal brute force; late records land in .late`, () => {
      const r = rng(seed);
      const t = new TopologyBuilder('test', { partitions: 3 });
      t.stream('in', { schema: Msg, eventTime: (m) => m.n * 1000, maxOutOfOrderMs: 5000 })
        .keyBy((m) => m.author)
        .window(tumbling(10_000), { allowedLateness: 2000 })
        .aggregate((a) => ({ count: a.count(), total: a.sum((m) => m.n) }))
        .to('out');
      // One input partition, so the brute force below knows the watermark; the windows run in 3 tasks
      // behind a repartition topic, which carries the upstream watermark with each record.
      const d = new TestDriver(t.compile(), { partitions: 3, partitionsOf: { in: 1 } });
      const msgs = messages(seed, 300).map((m, i) => ({ ...m, n: Math.max(0, Math.floor(i / 3 + (r() - 0.5) * 20)) }));
      for (let i = 0; i < msgs.length; i += 17)
        d.pipe(
          'in',
          msgs.slice(i, i + 17).map((value) => ({ key: value.author, value })),
        );
      d.end();
      const late = d.values('in.late').length;
      const out = d.values<{ key: string; start: number; count: number; total: number }>('out');
      const got = new Map(out.map((o) => [`${o.key}@${o.start}`, { count: o.count, total: o.total }]));
      // Brute force: a record counts unless its window had closed (watermark >= end + lateness) when it came.
      const expected = new Map<string, { count: number; total: number }>();
      let maxSeen = Number.NEGATIVE_INFINITY;
      let expectedLate = 0;
      for (const m of msgs) {
        const ts = m.n * 1000;
        const start = Math.floor(ts / 10_000) * 10_000;
        const wm = maxSeen - 5000;
        if (wm >= start + 10_000 + 2000) expectedLate++;
        else {
          const k = `${m.author}@${start}`;
          const cur = expected.get(k) ?? { count: 0, total: 0 };
          expected.set(k, { count: cur.count + 1, total: cur.total + m.n });
        }
        maxSeen = Math.max(maxSeen, ts);
      }
      assert.equal(late, expectedLate, 'exactly the records beyond the allowed lateness land in in.late');
      assert.equal(got.size, expected.size);
      for (const [k, v] of expected) assert.deepEqual(got.get(k), v, k);
    });
  }
});

describe('topology: window results behind a repartition do not depend on batching or restarts', () => {
  // With one upstream task the downstream watermark is a function of the log alone, late records
  // included. With several, which records are late depends on how their outputs interleave (as in any
  // engine: Flink's min over channels too); with no late records the results are the same anyway.
  for (const [seed, inputs, lateness] of [
    [21, 1, 1000],
    [22, 1, 1000],
    [23, 2, 1_000_000],
    [24, 3, 1_000_000],
  ] as const) {
    it(`seed ${seed}, ${inputs} input partition(s): batches of 1, 7 and 60 records, with restarts, give identical results`, () => {
      const run = (batch: number, restartEvery: number) => {
        const t = new TopologyBuilder('test', { partitions: 2 });
        t.stream('in', { schema: Msg, eventTime: (m) => m.n * 1000, maxOutOfOrderMs: 3000 })
          .keyBy((m) => m.author)
          .window(hopping(10_000, 5000), { allowedLateness: lateness })
          .aggregate((a) => ({ count: a.count(), max: a.max((m) => m.n) }))
          .to('out');
        const d = new TestDriver(t.compile(), { partitions: 2, partitionsOf: { in: inputs } });
        const r = rng(seed);
        const msgs = messages(seed, 250).map((m, i) => ({
          ...m,
          n: Math.max(0, Math.floor(i / 2 + (r() - 0.5) * 16)),
        }));
        let batches = 0;
        for (let i = 0; i < msgs.length; i += batch) {
          d.pipe(
            'in',
            msgs.slice(i, i + batch).map((value, j) => ({ key: `k${(i + j) % 5}`, value })),
          );
          if (restartEvery > 0 && ++batches % restartEvery === 0) d.restart();
        }
        d.end();
        const key = (o: { key: string; start: number }) => `${o.key}@${o.start}`;
        const out = d
          .values<{ key: string; start: number; count: number; max: number }>('out')
          .map((o) => `${key(o)}:${o.count}:${o.max}`);
        return { out: out.sort(), late: d.values('in.late').length };
      };
      const a = run(1, 0);
      assert.ok(a.out.length > 0);
      assert.deepEqual(run(7, 3), a);
      assert.deepEqual(run(60, 1), a);
    });
  }
});

describe('topology: early results and TTL', () => {
  it("emit: 'updates' sends updated results per batch and one final per window, equal to the last update", () => {
    const t = new TopologyBuilder('test');
    t.stream('in', { schema: z.object({ v: z.number() }) })
      .keyedByTopic()
      .window(tumbling(1000), { emit: 'updates' })
      .aggregate((a) => ({ n: a.count(), s: a.sum((r) => r.v) }))
      .to('out');
    const d = new TestDriver(t.compile());
    d.pipe(
      'in',
      [1, 2].map((v) => ({ key: 'k', value: { v }, timestamp: 100 * v })),
    );
    d.pipe(
      'in',
      [3].map((v) => ({ key: 'k', value: { v }, timestamp: 300 })),
    );
    d.pipe('in', [{ key: 'k', value: { v: 9 }, timestamp: 2500 }]);
    const out = d.values<{ start: number; final: boolean; n: number; s: number }>('out').filter((o) => o.start === 0);
    const finals = out.filter((o) => o.final);
    assert.equal(finals.length, 1);
    assert.deepEqual(
      out.filter((o) => !o.final).map((o) => o.n),
      [2, 3],
    );
    assert.deepEqual({ n: finals[0]!.n, s: finals[0]!.s }, { n: 3, s: 6 });
  });

  it('a store with a TTL forgets keys not written for that long, and the forgetting is committed', () => {
    const t = new TopologyBuilder('test');
    t.stream('in', { schema: z.number() })
      .keyedByTopic()
      .process({ name: 'seen', stores: { n: valueStore<number>({ ttlMs: 60_000 }) } }, (v, ctx) => {
        const n = (ctx.stores.n.get() ?? 0) + v;
        ctx.stores.n.set(n);
        ctx.emit(n);
      })
      .to('out');
    const d = new TestDriver(t.compile());
    d.pipe('in', [
      { key: 'a', value: 1 },
      { key: 'b', value: 1 },
    ]);
    d.advanceTime(30_000);
    d.pipe('in', [{ key: 'b', value: 1 }]);
    d.advanceTime(40_000);
    assert.deepEqual([...d.state('seen.n')], [['b', 2]], 'a expired; b was written 40 s ago');
    d.restart();
    d.pipe('in', [{ key: 'a', value: 5 }]);
    assert.equal(d.values('out').at(-1), 5, 'a starts over after expiry, also after a restart');
    // Down for longer than the TTL: b (written 40 s before) expired while nothing ran, so nothing may read it.
    d.restart({ afterMs: 61_000 });
    d.pipe('in', [{ key: 'b', value: 7 }]);
    assert.equal(d.values('out').at(-1), 7, 'b expired while the pipeline was down');
  });
});
