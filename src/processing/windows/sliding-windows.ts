import type { EngineRecord } from '../engine/operator.ts';
import { type Origin, originOf, stateKey, type WindowEnv, type WindowLogic, type WindowResult } from './logic.ts';
import { Timers } from './timers.ts';

/** One key's sliding state: the records still needed, and the record times whose windows are open. */
interface KeySliding<V> {
  k: string | null;
  /** [event time, value], sorted by time (stable for equal times). */
  r: [number, V][];
  /** Record times t with an open window [t − size + 1, t + 1), ascending. */
  w: number[];
  o: Origin;
}

/**
 * Sliding windows in the Kafka Streams / Quix sense: at each distinct record time t of a key, the window
 * of `size` ms ending there, [t − size + 1, t + 1), i.e. the records in (t − size, t]. A record at t'
 * belongs to the windows of the record times in [t', t' + size − 1]; it is late only when all of those
 * could be closed (watermark >= t' + size + lateness). If its own window is already closed, it still
 * counts in the later windows that are open.
 *
 * Windows overlap arbitrarily, so the state keeps the key's records (not one accumulator per window) and
 * folds a window's records when it closes (or when an update is due). A record is dropped from the state
 * once every window that could hold it has closed.
 */
export function slidingWindows<V, A, R>(env: WindowEnv<V, A, R>, size: number): WindowLogic<V> {
  const { store, aggregator, lateness } = env;
  const timers = new Timers();
  /** Key id -> window end times touched this batch. */
  const touched = new Map<string, Set<number>>();

  const fold = (st: KeySliding<V>, t: number): A => {
    let acc = aggregator.init();
    for (const [time, v] of st.r) {
      if (time > t) break;
      if (time > t - size) acc = aggregator.add(acc, v);
    }
    return acc;
  };
  const toResult = (st: KeySliding<V>, t: number, final: boolean): WindowResult => ({
    key: st.k,
    start: t - size + 1,
    end: t + 1,
    final,
    result: aggregator.result(fold(st, t)),
    timestamp: t,
    origin: st.o,
  });
  const insertSorted = <T>(xs: T[], x: T, time: (x: T) => number): void => {
    let i = xs.length;
    while (i > 0 && time(xs[i - 1]!) > time(x)) i--;
    xs.splice(i, 0, x);
  };

  return {
    rebuild() {
      timers.clear();
      for (const [id, value] of store.entries()) {
        const st = value as KeySliding<V>;
        for (const t of st.w) timers.add(t + 1 + lateness, id);
        const lastRecord = st.r[st.r.length - 1];
        if (lastRecord) timers.add(lastRecord[0] + size + lateness, id);
      }
    },
    process(record: EngineRecord<V>, watermark, _out, late) {
      const t = record.timestamp;
      if (watermark >= t + size + lateness) {
        late(
          `sliding windows ending in [${t}, ${t + size}) closed: watermark ${watermark} >= end + allowed lateness ${lateness} ms`,
        );
        return;
      }
      const id = stateKey(record.key);
      const st = store.get<KeySliding<V>>(id) ?? { k: record.key, r: [], w: [], o: originOf(record) };
      insertSorted<[number, V]>(st.r, [t, record.value], (x) => x[0]);
      st.o = originOf(record);
      if (watermark < t + 1 + lateness && !st.w.includes(t)) {
        insertSorted(st.w, t, (x) => x);
        timers.add(t + 1 + lateness, id);
      }
      // Prunes the record once no window can want it, even if no later record ever comes for this key.
      timers.add(t + size + lateness, id);
      store.set(id, st, env.now());
      if (env.updates) {
        let ends = touched.get(id);
        if (!ends) {
          ends = new Set();
          touched.set(id, ends);
        }
        for (const w of st.w) if (w >= t && w < t + size) ends.add(w);
      }
    },
    close(watermark, out) {
      for (const id of timers.due(watermark)) {
        const st = store.get<KeySliding<V>>(id);
        if (!st) continue;
        const open: number[] = [];
        for (const t of st.w) {
          if (t + 1 + lateness <= watermark) out.push(toResult(st, t, true));
          else open.push(t);
        }
        const kept = st.r.filter(([time]) => time + size + lateness > watermark);
        if (open.length === st.w.length && kept.length === st.r.length) continue;
        if (open.length === 0 && kept.length === 0) store.delete(id);
        else store.set(id, { k: st.k, r: kept, w: open, o: st.o }, env.now());
      }
    },
    updates(out) {
      for (const [id, ends] of touched) {
        const st = store.get<KeySliding<V>>(id);
        if (!st) continue;
        for (const t of st.w) if (ends.has(t)) out.push(toResult(st, t, false));
      }
      touched.clear();
    },
  };
}
