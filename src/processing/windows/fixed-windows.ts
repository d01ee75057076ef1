import { type Origin, stateKey, type WindowEnv, type WindowLogic, type WindowResult } from './logic.ts';
import { Timers } from './timers.ts';
import { floorDiv } from './window-spec.ts';

/** Group keys whose last window id is remembered (see idOf). */
const ID_CACHE = 65_536;

/** One aligned window's state: group key, start, end, accumulator, origin of the last record added. */
interface FixedWindow<A> {
  k: string | null;
  s: number;
  e: number;
  a: A;
  o: Origin;
}

/**
 * Tumbling (advance = size) and hopping windows, aligned to the epoch plus offset. One store entry per
 * (key, window), so a record touches only its own windows' entries, and a timer per window end.
 */
export function fixedWindows<V, A, R>(
  env: WindowEnv<V, A, R>,
  size: number,
  advance: number,
  offset: number,
): WindowLogic<V> {
  const { store, aggregator, lateness } = env;
  const timers = new Timers();
  const touched = new Set<string>();
  /**
   * The last window id built per group key: the records of a key mostly fall in the window of the one
   * before, and find its entry by the same string, already hashed, instead of building a new one.
   */
  const lastIds = new Map<string | null, { s: number; id: string }>();
  const idOf = (key: string | null, s: number): string => {
    const last = lastIds.get(key);
    if (last !== undefined && last.s === s) return last.id;
    const id = stateKey(key, s);
    if (last !== undefined) {
      last.s = s;
      last.id = id;
    } else {
      // A cache, not state: bounded, so a store of millions of keys does not hold a second index of them.
      if (lastIds.size >= ID_CACHE) lastIds.clear();
      lastIds.set(key, { s, id });
    }
    return id;
  };

  const toResult = (w: FixedWindow<A>, final: boolean): WindowResult => ({
    key: w.k,
    start: w.s,
    end: w.e,
    final,
    result: aggregator.result(w.a),
    timestamp: w.e - 1,
    origin: w.o,
  });

  return {
    rebuild() {
      timers.clear();
      for (const [id, w] of store.entries()) timers.add((w as FixedWindow<A>).e + lateness, id);
    },
    process(record, watermark, _out, late) {
      // The windows of alignedStarts, walked without building the list: this runs for every record.
      const t = record.timestamp;
      const last = floorDiv(t - offset, advance) * advance + offset;
      let added = 0;
      let latest: number | undefined;
      for (let s = last - Math.floor((size - 1) / advance) * advance; s <= last; s += advance) {
        const e = s + size;
        if (e <= t) continue;
        latest = s;
        if (watermark >= e + lateness) continue;
        const id = idOf(record.key, s);
        let w = store.get<FixedWindow<A>>(id);
        if (w === undefined) {
          w = { k: record.key, s, e, a: aggregator.init(), o: record.origin };
          // A window held already has its timer (added when it was created, or by rebuild).
          timers.add(e + lateness, id);
        }
        w.a = aggregator.add(w.a, record.value);
        // Origins are never changed once made: the record's own is shared, not copied.
        w.o = record.origin;
        if (store.ttlMs === undefined) store.set(id, w);
        else store.set(id, w, env.now());
        if (env.updates) touched.add(id);
        added++;
      }
      if (added === 0 && latest !== undefined) {
        late(
          `window [${latest}, ${latest + size}) closed: watermark ${watermark} >= end + allowed lateness ${lateness} ms`,
        );
      }
    },
    close(watermark, out) {
      for (const id of timers.due(watermark)) {
        const w = store.get<FixedWindow<A>>(id);
        if (!w || w.e + lateness > watermark) continue;
        out.push(toResult(w, true));
        store.delete(id);
        touched.delete(id);
      }
    },
    updates(out) {
      for (const id of touched) {
        const w = store.get<FixedWindow<A>>(id);
        if (w) out.push(toResult(w, false));
      }
      touched.clear();
    },
  };
}
