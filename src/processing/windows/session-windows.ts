import { type Origin, originOf, stateKey, type WindowEnv, type WindowLogic, type WindowResult } from './logic.ts';
import { Timers } from './timers.ts';

interface Session<A> {
  /** First and last event time: the window is [s, l + gap). */
  s: number;
  l: number;
  a: A;
  o: Origin;
}

/** One key's open sessions, sorted by start and never overlapping. */
interface KeySessions<A> {
  k: string | null;
  w: Session<A>[];
}

/**
 * Session windows: records less than `gap` apart share a session, [first, last + gap). A record that
 * bridges sessions merges them (Aggregator.merge). A record is late only if it would start a session of
 * its own that is already closed; if it falls within reach of an open session it joins it (as Flink
 * decides lateness after merging). State is one entry per key holding its open sessions.
 */
export function sessionWindows<V, A, R>(env: WindowEnv<V, A, R>, gap: number): WindowLogic<V> {
  const { store, aggregator, lateness } = env;
  const timers = new Timers();
  /** Key id -> event times touched this batch (a session is touched if it spans one of them). */
  const touched = new Map<string, Set<number>>();

  const toResult = (k: string | null, w: Session<A>, final: boolean): WindowResult => ({
    key: k,
    start: w.s,
    end: w.l + gap,
    final,
    result: aggregator.result(w.a),
    timestamp: w.l + gap - 1,
    origin: w.o,
  });

  return {
    rebuild() {
      timers.clear();
      for (const [id, st] of store.entries()) {
        for (const w of (st as KeySessions<A>).w) timers.add(w.l + gap + lateness, id);
      }
    },
    process(record, watermark, _out, late) {
      const t = record.timestamp;
      const id = stateKey(record.key);
      const st = store.get<KeySessions<A>>(id) ?? { k: record.key, w: [] };
      const reach = (w: Session<A>) => t > w.s - gap && t < w.l + gap;
      const joined = st.w.filter(reach);
      if (joined.length === 0 && watermark >= t + gap + lateness) {
        late(`session [${t}, ${t + gap}) closed: watermark ${watermark} >= end + allowed lateness ${lateness} ms`);
        return;
      }
      // Joining one session (the usual case) is an add; only a bridge between sessions pays for merges.
      let acc = joined.length === 0 ? aggregator.init() : joined[0]!.a;
      let s = t;
      let l = t;
      for (const [i, w] of joined.entries()) {
        if (i > 0) acc = aggregator.merge(acc, w.a);
        s = Math.min(s, w.s);
        l = Math.max(l, w.l);
      }
      acc = aggregator.add(acc, record.value);
      const merged: Session<A> = { s, l, a: acc, o: originOf(record) };
      st.w = [...st.w.filter((w) => !reach(w)), merged].sort((x, y) => x.s - y.s);
      store.set(id, st, env.now());
      timers.add(l + gap + lateness, id);
      if (env.updates) {
        let times = touched.get(id);
        if (!times) {
          times = new Set();
          touched.set(id, times);
        }
        times.add(t);
      }
    },
    close(watermark, out) {
      for (const id of timers.due(watermark)) {
        const st = store.get<KeySessions<A>>(id);
        if (!st) continue;
        const open: Session<A>[] = [];
        for (const w of st.w) {
          if (w.l + gap + lateness <= watermark) out.push(toResult(st.k, w, true));
          else open.push(w);
        }
        if (open.length === st.w.length) continue;
        if (open.length === 0) store.delete(id);
        else store.set(id, { k: st.k, w: open }, env.now());
      }
    },
    updates(out) {
      for (const [id, times] of touched) {
        const st = store.get<KeySessions<A>>(id);
        if (!st) continue;
        for (const w of st.w) {
          for (const t of times) {
            if (t >= w.s && t <= w.l) {
              out.push(toResult(st.k, w, false));
              break;
            }
          }
        }
      }
      touched.clear();
    },
  };
}
