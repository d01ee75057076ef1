import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { TestDriver } from '../../testing/index.ts';
import { tumbling } from '../windows/window-spec.ts';
import { mapStore, valueStore } from './stores.ts';
import type { KeyedStream, Stream } from './stream.ts';
import { TopologyBuilder } from './topology.ts';

const Ev = z.object({ k: z.string(), t: z.number(), n: z.number() });
type Ev = z.infer<typeof Ev>;

describe('process onWatermark: event-time timers over a per-key buffer', () => {
  /** The input keyed by topic, sorted by `sort`, to 'out'. */
  function sorting(partitions: number, sort: (s: KeyedStream<Ev>) => Stream<Ev>) {
    const t = new TopologyBuilder('test', { partitions });
    sort(t.stream('in', { schema: Ev, eventTime: (e) => e.t, maxOutOfOrderMs: 5000 }).keyedByTopic()).to('out');
    return t.compile();
  }

  /** Holds each key's records until the watermark passes them, then emits them in event-time order. */
  function sorter(partitions: number) {
    return sorting(partitions, (s) =>
      s.process(
        {
          name: 'sorter',
          stores: { held: valueStore<Ev[]>() },
          onWatermark(wm, ctx) {
            for (const key of ctx.keys('held')) {
              const c = ctx.forKey(key);
              const held = c.stores.held.get() ?? [];
              const due = held.filter((e) => e.t < wm).sort((a, b) => a.t - b.t || a.n - b.n);
              if (due.length === 0) continue;
              for (const e of due) c.emit(e, { timestamp: e.t });
              const rest = held.filter((e) => e.t >= wm);
              if (rest.length > 0) c.stores.held.set(rest);
              else c.stores.held.delete();
            }
          },
        },
        (e, ctx) => ctx.stores.held.set([...(ctx.stores.held.get() ?? []), e]),
      ),
    );
  }

  it('after the input ended (a bounded run, then a restart), a record for the timers is late, not held for ever', () => {
    const d = new TestDriver(sorter(1));
    const ev = (n: number, t: number) => ({ key: 'a', value: { k: 'a', t, n }, timestamp: t });
    d.pipe('in', [ev(1, 1000), ev(2, 900)]);
    d.end();
    assert.deepEqual(
      d.values<Ev>('out').map((e) => e.n),
      [2, 1],
    );
    for (const restart of [false, true]) {
      if (restart) d.restart();
      const late = d.values('in.late').length;
      d.pipe('in', [ev(3, 50_000)]);
      d.end();
      assert.equal(d.values('out').length, 2, 'nothing more is emitted after the end');
      assert.equal(
        d.values('in.late').length,
        late + 1,
        `${restart ? 'restarted' : 'same run'}: the record is in .late`,
      );
      assert.deepEqual(
        d.state('sorter.held').size,
        0,
        'and not held in the store, waiting for a timer that never fires',
      );
    }
  });

  /** The same with a map store: an entry per held record, released entries deleted one by one. */
  function mapSorter(partitions: number) {
    return sorting(partitions, (s) =>
      s.process(
        {
          name: 'sorter',
          stores: { held: mapStore<Ev>() },
          onWatermark(wm, ctx) {
            for (const key of ctx.keys('held')) {
              const c = ctx.forKey(key);
              const due = c.stores.held
                .entries()
                .filter(([, e]) => e.t < wm)
                .sort(([, a], [, b]) => a.t - b.t || a.n - b.n);
              for (const [sub, e] of due) {
                c.emit(e, { timestamp: e.t });
                c.stores.held.delete(sub);
              }
            }
          },
        },
        (e, ctx) => ctx.stores.held.set(String(e.n), e),
      ),
    );
  }

  /**
   * The same, held by time instead of by key: each record under its second's key (storesFor), a second
   * released whole once the watermark passes its end, so a release reads only what it releases.
   */
  function timeSorter(partitions: number) {
    return sorting(partitions, (s) =>
      s.process(
        {
          name: 'sorter',
          stores: { bySecond: mapStore<Ev>() },
          onWatermark(wm, ctx) {
            const due = ctx
              .keys('bySecond')
              .map((key) => ({ key, second: Number(key.slice(1)) }))
              .filter(({ second }) => (second + 1) * 1000 <= wm)
              .sort((a, b) => a.second - b.second);
            for (const { key } of due) {
              const c = ctx.forKey(key);
              const evs = c.stores.bySecond.entries().map(([, e]) => e);
              for (const e of evs.sort((a, b) => a.t - b.t || a.n - b.n)) c.emit(e, { key: e.k, timestamp: e.t });
              c.stores.bySecond.clear();
            }
          },
        },
        (e, ctx) => ctx.storesFor(`s${Math.floor(e.t / 1000)}`).bySecond.set(String(e.n), e),
      ),
    );
  }

  const sorters = { value: sorter, map: mapSorter, time: timeSorter };
  for (const [kind, partitions] of [
    ['value', 1],
    ['value', 3],
    ['map', 1],
    ['map', 3],
    ['time', 1],
    ['time', 3],
  ] as const) {
    it(`${kind} store, ${partitions} partition(s): each key's records come out sorted, each once, across a restart`, () => {
      let s = 7;
      const r = () => {
        s = (s * 1664525 + 1013904223) >>> 0;
        return s / 2 ** 32;
      };
      const evs: Ev[] = Array.from({ length: 300 }, (_, i) => ({
        k: `k${Math.floor(r() * 5)}`,
        t: i * 100 + Math.floor(r() * 4000),
        n: i,
      }));
      const d = new TestDriver(sorters[kind](partitions), { partitions });
      const rec = (e: Ev) => ({ key: e.k, value: e, timestamp: e.t });
      d.pipe('in', evs.slice(0, 150).map(rec));
      const before = d.values<Ev>('out').length;
      assert.ok(before > 0 && before < 150, 'some records released before the end, some still held');
      d.restart();
      d.pipe('in', evs.slice(150).map(rec));
      d.end();
      const out = d.values<Ev>('out');
      for (const k of new Set(evs.map((e) => e.k))) {
        const want = evs.filter((e) => e.k === k).sort((a, b) => a.t - b.t || a.n - b.n);
        assert.deepEqual(
          out.filter((e) => e.k === k),
          want,
        );
      }
    });
  }
});

describe('watermarks through a feedback input and across stages', () => {
  it('watermarkDelayMs counts an input ahead, initialWatermark starts it', () => {
    const t = new TopologyBuilder('test');
    const fb = t.stream('fb', { watermarkDelayMs: 1000, initialWatermark: 0, idleTimeoutMs: Infinity });
    t.stream('in', { idleTimeoutMs: Infinity })
      .merge(fb)
      .keyedByTopic()
      .process({ name: 'seen', stores: {} }, (_v, ctx) => ctx.emit(ctx.watermark))
      .to('out');
    const d = new TestDriver(t.compile());
    d.pipe('in', [{ key: 'a', value: 1, timestamp: 5000 }]);
    // Without any feedback yet, its initial 0 counted 1000 ahead holds the task at 1000, not -Infinity.
    assert.equal(d.watermark(), 1000);
    d.pipe('fb', [{ key: 'a', value: 2, timestamp: 2000 }]);
    assert.equal(d.watermark(), 3000);
    d.pipe('fb', [{ key: 'a', value: 3, timestamp: 9000 }]);
    assert.equal(d.watermark(), 5000, 'the other input still holds it');
  });

  it('what a window emits as it closes is on time in the next stage (it carries the watermark before the close)', () => {
    const t = new TopologyBuilder('test');
    t.stream('in', { schema: Ev, eventTime: (e) => e.t })
      .keyedByTopic()
      .window(tumbling(1000), { name: 'per-key' })
      .aggregate((a) => ({ n: a.count() }))
      .keyBy(() => 'all')
      .window(tumbling(1000), { name: 'all' })
      .aggregate((a) => ({ total: a.sum((w) => (w as { n: number }).n) }))
      .to('out');
    const d = new TestDriver(t.compile());
    const evs: Ev[] = [];
    for (let i = 0; i < 40; i++) evs.push({ k: `k${i % 3}`, t: i * 250, n: i });
    d.pipe(
      'in',
      evs.map((e) => ({ key: e.k, value: e, timestamp: e.t })),
    );
    d.end();
    // Late records behind a keyBy are named by the topic the user wrote: in.late holds any of either stage.
    assert.equal(d.outputs('in.late').length, 0);
    const totals = d.values<{ start: number; total: number }>('out').map((o) => [o.start, o.total]);
    assert.deepEqual(
      totals,
      Array.from({ length: 10 }, (_, w) => [w * 1000, 4]),
    );
  });
});
