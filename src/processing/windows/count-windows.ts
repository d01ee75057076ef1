import { type Origin, originOf, stateKey, type WindowEnv, type WindowLogic, type WindowResult } from './logic.ts';

interface CountWindow<A> {
  /** Index (per key, in arrival order) of the window's first record. */
  f: number;
  /** Records in it so far. */
  c: number;
  a: A;
  /** Smallest and largest event time in it. */
  lo: number;
  hi: number;
  o: Origin;
}

interface KeyCounts<A> {
  k: string | null;
  /** Records of this key seen so far. */
  n: number;
  w: CountWindow<A>[];
}

/**
 * Count windows per key, in arrival order: a window opens at every `advance`-th record and holds `size`
 * records; it is final (and emitted) when its last record arrives. Tumbling: advance = size; sliding:
 * advance = 1 (from the size-th record on). Time plays no part, so nothing is ever late, and the result
 * depends only on each key's arrival order, never on batching. A window still filling when the input
 * ends is not emitted as final (its updates are, with emit 'updates').
 */
export function countWindows<V, A, R>(env: WindowEnv<V, A, R>, size: number, advance: number): WindowLogic<V> {
  const { store, aggregator } = env;
  const touched = new Set<string>();

  const toResult = (k: string | null, w: CountWindow<A>, final: boolean): WindowResult => ({
    key: k,
    start: w.lo,
    end: w.hi,
    final,
    result: aggregator.result(w.a),
    count: w.c,
    timestamp: w.hi,
    origin: w.o,
  });

  return {
    rebuild() {},
    process(record, _watermark, out) {
      const id = stateKey(record.key);
      const st = store.get<KeyCounts<A>>(id) ?? { k: record.key, n: 0, w: [] };
      const t = record.timestamp;
      const o = originOf(record);
      if (st.n % advance === 0) st.w.push({ f: st.n, c: 0, a: aggregator.init(), lo: t, hi: t, o });
      const open: CountWindow<A>[] = [];
      for (const w of st.w) {
        w.a = aggregator.add(w.a, record.value);
        w.c++;
        w.lo = Math.min(w.lo, t);
        w.hi = Math.max(w.hi, t);
        w.o = o;
        if (w.c === size) out.push(toResult(st.k, w, true));
        else open.push(w);
      }
      st.w = open;
      st.n++;
      store.set(id, st, env.now());
      if (env.updates) touched.add(id);
    },
    close() {},
    updates(out) {
      for (const id of touched) {
        const st = store.get<KeyCounts<A>>(id);
        if (st) for (const w of st.w) out.push(toResult(st.k, w, false));
      }
      touched.clear();
    },
  };
}
