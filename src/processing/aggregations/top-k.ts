import { type Aggregator, type Item, itemFromKey, itemKey } from './aggregator.ts';

/**
 * Space-Saving (Metwally, Agrawal, El Abbadi 2005) with `capacity` counters, as JSON: item key ->
 * [count, error], plus the total. While at most `capacity` distinct items were seen, counts are exact.
 * After that, a new item takes over the smallest counter and inherits its count as its error.
 *
 * Guarantee (N values, m = capacity): every reported count overestimates the true one by at most its
 * `error`, and error ≤ N/m; every item whose true frequency exceeds N/m is among the counters. So with
 * m ≥ k·(some margin) the top k are found whenever they stand above N/m.
 *
 * Merging (session windows) adds the counters of both sides, counting an item missing from a full side
 * as that side's smallest count (an upper bound, also added to its error), then keeps the m largest:
 * the mergeable-summaries construction (Agarwal et al. 2012), which keeps the same N/m error bound.
 */
export interface TopKAcc {
  n: number;
  c: Record<string, [count: number, error: number]>;
}

export interface TopKEntry {
  value: string | number | boolean;
  count: number;
  /** The count may exceed the true frequency by at most this much (0: exact). */
  error: number;
}

export interface TopKOptions {
  /** Counters kept (default 10·k, at least 64): more counters, smaller error bound N/capacity. */
  capacity?: number;
}

export function topK(k: number, options: TopKOptions = {}): Aggregator<Item | boolean, TopKAcc, TopKEntry[]> {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`topK: k must be an integer >= 1 (got ${k})`);
  const capacity = options.capacity ?? Math.max(64, 10 * k);
  if (capacity < k) throw new RangeError(`topK: capacity ${capacity} is below k = ${k}`);

  const smallest = (c: TopKAcc['c']): string | undefined => {
    let at: string | undefined;
    let low = Number.POSITIVE_INFINITY;
    for (const key in c) {
      const n = c[key]![0];
      // Ties go to the greatest key, so the choice does not depend on insertion order (restored JSON keeps it, but a merge does not).
      if (n < low || (n === low && at !== undefined && key > at)) {
        low = n;
        at = key;
      }
    }
    return at;
  };

  return {
    init: () => ({ n: 0, c: {} }),
    validate: (v) => void itemKey('topK', v),
    add(acc, v) {
      const key = itemKey('topK', v);
      acc.n++;
      const hit = acc.c[key];
      if (hit) {
        hit[0]++;
        return acc;
      }
      let size = 0;
      for (const _ in acc.c) if (++size >= capacity) break;
      if (size < capacity) {
        acc.c[key] = [1, 0];
        return acc;
      }
      const victim = smallest(acc.c)!;
      const low = acc.c[victim]![0];
      delete acc.c[victim];
      acc.c[key] = [low + 1, low];
      return acc;
    },
    merge(a, b) {
      const floorOf = (x: TopKAcc) => {
        const keys = Object.keys(x.c);
        return keys.length < capacity ? 0 : Math.min(...keys.map((key) => x.c[key]![0]));
      };
      const fa = floorOf(a);
      const fb = floorOf(b);
      const merged: TopKAcc['c'] = {};
      for (const key of new Set([...Object.keys(a.c), ...Object.keys(b.c)])) {
        const [ca, ea] = a.c[key] ?? [fa, fa];
        const [cb, eb] = b.c[key] ?? [fb, fb];
        merged[key] = [ca + cb, ea + eb];
      }
      const kept = Object.entries(merged)
        .sort((x, y) => y[1][0] - x[1][0] || byValue(x[0], y[0]))
        .slice(0, capacity);
      return { n: a.n + b.n, c: Object.fromEntries(kept) };
    },
    result: (acc) =>
      Object.entries(acc.c)
        .sort((x, y) => y[1][0] - x[1][0] || byValue(x[0], y[0]))
        .slice(0, k)
        .map(([key, [count, error]]) => ({ value: itemFromKey(key), count, error })),
  };
}

/**
 * Ties in value order, numbers by value: by their keys alone `10` came before `9`. Booleans, then numbers,
 * then strings, as their keys' tags (b, n, s) sort.
 */
function byValue(a: string, b: string): number {
  if (a[0] === 'n' && b[0] === 'n') return Number(a.slice(1)) - Number(b.slice(1)) || (a < b ? -1 : 1);
  return a < b ? -1 : a > b ? 1 : 0;
}
