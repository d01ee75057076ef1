import type { Aggregator, Item } from './aggregator.ts';
import { itemKey } from './aggregator.ts';
import { emptyRegisters, hllAdd, hllEstimate, hllMerge } from './hyperloglog.ts';

/** Exact (a JSON object used as a set, with its size) until `exactUpTo` values, then a HyperLogLog. */
export type DistinctAcc = { n: number; set: Record<string, 1> } | { hll: number[] };

export interface DistinctCountOptions {
  /** Count exactly up to this many distinct values (default 512), then estimate. */
  exactUpTo?: number;
  /** HyperLogLog precision p: 2^p registers, relative standard error 1.04/√(2^p). Default 12 (1.6%). */
  precision?: number;
}

/**
 * The number of distinct values (strings, numbers or booleans; 1 and '1' differ). Exact while small,
 * so small windows get exact answers; above the threshold within the HyperLogLog's error (see hyperloglog.ts).
 */
export function distinctCount(options: DistinctCountOptions = {}): Aggregator<Item | boolean, DistinctAcc, number> {
  const exactUpTo = options.exactUpTo ?? 512;
  const p = options.precision ?? 12;
  if (!Number.isInteger(p) || p < 4 || p > 18) throw new RangeError(`distinctCount precision must be 4..18 (got ${p})`);

  const toSketch = (set: Record<string, 1>): { hll: number[] } => {
    const hll = emptyRegisters(p);
    for (const k of Object.keys(set)) hllAdd(hll, p, k);
    return { hll };
  };
  const addKey = (acc: DistinctAcc, k: string): DistinctAcc => {
    if ('hll' in acc) {
      hllAdd(acc.hll, p, k);
      return acc;
    }
    if (Object.hasOwn(acc.set, k)) return acc;
    acc.set[k] = 1;
    acc.n++;
    return acc.n > exactUpTo ? toSketch(acc.set) : acc;
  };

  return {
    init: () => ({ n: 0, set: {} }),
    validate: (v) => void itemKey('distinctCount', v),
    add: (acc, v) => addKey(acc, itemKey('distinctCount', v)),
    merge(a, b) {
      if ('hll' in a && 'hll' in b) return { hll: hllMerge(a.hll, b.hll) };
      if ('hll' in b) return merge2(b, a as { n: number; set: Record<string, 1> });
      return merge2(a, b);
    },
    result: (acc) => ('hll' in acc ? Math.round(hllEstimate(acc.hll)) : acc.n),
  };

  function merge2(into: DistinctAcc, from: { n: number; set: Record<string, 1> }): DistinctAcc {
    let acc = into;
    for (const k of Object.keys(from.set)) acc = addKey(acc, k);
    return acc;
  }
}
