import { TDigest } from 'tdigest';
import { type Aggregator, checkFinite } from './aggregator.ts';

/**
 * Quantiles' state as JSON: `c` flattened `[value, count, value, count, …]`, plus the values added since
 * it was last folded (`b`: `add` is then a push, not a rebuild). Exact (`e`), `c` holds each distinct value
 * once, in order, with its count; else it holds a t-digest's centroids (means and counts).
 */
export interface QuantilesAcc {
  c: number[];
  b: number[];
  /** Exact. Absent in state stored before exact mode existed, which is a digest. */
  e?: 1;
}

export interface QuantilesOptions {
  /** t-digest compression δ (the package's `delta`): smaller is more accurate and keeps more centroids. Default 0.01. */
  delta?: number;
  /** Values buffered before they are folded in. Default 256. */
  buffer?: number;
  /**
   * Exact while the values hold at most this many distinct ones (default 256, about what a digest keeps),
   * then a t-digest. Readings of fixed decimals repeat, and a digest interpolating between its centroids
   * put the median of [3, 3, 3, 3, 10] at 4.4, a value no record had.
   */
  exactUpTo?: number;
}

/** Seeded so a digest built from the same accumulator is the same digest, whatever the run (see digestOf). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Rebuilds the digest. The package's own compress() shuffles with Math.random, which would make results
 * differ between a run and its replay after a crash; so automatic compression is off (K = 0) and points go
 * in a shuffled order seeded by the accumulator itself (shuffled, because sorted input is a t-digest's worst case).
 */
function digestOf(acc: QuantilesAcc, delta: number): TDigest {
  const points: [number, number][] = [];
  for (let i = 0; i < acc.c.length; i += 2) points.push([acc.c[i]!, acc.c[i + 1]!]);
  for (const v of acc.b) points.push([v, 1]);
  const random = mulberry32(points.length * 2654435761 + acc.c.length);
  for (let i = points.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [points[i], points[j]] = [points[j]!, points[i]!];
  }
  const digest = new TDigest(delta, 0);
  for (const [mean, n] of points) digest.push(mean, n);
  return digest;
}

function compress(acc: QuantilesAcc, delta: number): QuantilesAcc {
  const c: number[] = [];
  for (const centroid of digestOf(acc, delta).toArray()) c.push(centroid.mean, centroid.n);
  return { c, b: [] };
}

/** The exact fold of `acc` with its buffer: each distinct value once, in order; undefined beyond `limit` of them. */
function exactFold(acc: QuantilesAcc, limit: number): QuantilesAcc | undefined {
  const counts = new Map<number, number>();
  for (let i = 0; i < acc.c.length; i += 2) counts.set(acc.c[i]!, (counts.get(acc.c[i]!) ?? 0) + acc.c[i + 1]!);
  for (const v of acc.b) {
    const x = v === 0 ? 0 : v; // -0 and 0 are one value
    counts.set(x, (counts.get(x) ?? 0) + 1);
  }
  if (counts.size > limit) return undefined;
  const c: number[] = [];
  for (const v of [...counts.keys()].sort((x, y) => x - y)) c.push(v, counts.get(v)!);
  return { c, b: [], e: 1 };
}

/**
 * The q-quantile of exact (value, count) pairs in order, interpolated between the two order statistics
 * around rank q·(n − 1), as numpy's and R's default (type 7): the median of [1, 2] is 1.5, of [3, 3, 10] 3.
 */
function exactQuantile(c: number[], n: number, q: number): number {
  const h = q * (n - 1);
  const lo = Math.floor(h);
  const at = (rank: number) => {
    let seen = 0;
    for (let i = 0; i < c.length; i += 2) {
      seen += c[i + 1]!;
      if (rank < seen) return c[i]!;
    }
    return c[c.length - 2]!;
  };
  const a = at(lo);
  return h === lo ? a : a + (h - lo) * (at(lo + 1) - a);
}

/**
 * Quantiles: `result` maps each requested probability to its value: `quantiles([0.5, 0.99])` gives
 * `{ p50: …, p99: … }` (keys `p` + 100·q). Exact (type 7, as numpy's default) while the values hold at most
 * `exactUpTo` distinct ones; beyond, a t-digest (the maintained `tdigest` package): most accurate in the
 * tails, a rank error around δ in the middle (about 1% at the default) on continuous values. A value
 * repeated very often among many distinct others can be off by more: the digest interpolates between
 * its centroids' means, and identical values all go to one centroid.
 */
export function quantiles<const Q extends readonly number[]>(
  qs: Q,
  options: QuantilesOptions = {},
): Aggregator<number, QuantilesAcc, Record<QuantileName<Q[number]>, number>> {
  const delta = options.delta ?? 0.01;
  const buffer = options.buffer ?? 256;
  const exactUpTo = options.exactUpTo ?? 256;
  for (const q of qs) if (!(q >= 0 && q <= 1)) throw new RangeError(`quantiles: ${q} is not within 0..1`);
  const names = qs.map(quantileName);
  const fold = (acc: QuantilesAcc) => (acc.e ? exactFold(acc, exactUpTo) : undefined) ?? compress(acc, delta);
  return {
    init: () => ({ c: [], b: [], e: 1 }),
    validate: (v) => checkFinite('quantiles', v),
    add(acc, v) {
      checkFinite('quantiles', v);
      acc.b.push(v);
      return acc.b.length >= buffer ? fold(acc) : acc;
    },
    // Exact pairs are centroids too (a value and its count): a digest takes them as they are.
    merge: (a, b) => fold({ c: [...a.c, ...b.c], b: [...a.b, ...b.b], ...(a.e && b.e ? { e: 1 as const } : {}) }),
    result(acc) {
      const out: Record<string, number> = {};
      const exact = acc.e ? exactFold(acc, Number.POSITIVE_INFINITY)! : undefined;
      let values: number[];
      if (exact) {
        let n = 0;
        for (let i = 1; i < exact.c.length; i += 2) n += exact.c[i]!;
        values = n === 0 ? [] : qs.map((q) => exactQuantile(exact.c, n, q));
      } else {
        const digest = digestOf(acc, delta);
        values = digest.size() === 0 ? [] : (digest.percentile([...qs]) as number[]);
      }
      names.forEach((name, i) => {
        out[name] = values[i] ?? Number.NaN;
      });
      return out as Record<QuantileName<Q[number]>, number>;
    },
  };
}

/** `p50` for 0.5, `p99` for 0.99, `p99.9` for 0.999: typed, so `r.p99` is checked at compile time. */
export type QuantileName<Q extends number> = `p${PercentOf<Q>}`;
type PercentOf<Q extends number> = Q extends 0.5
  ? 50
  : Q extends 0.25
    ? 25
    : Q extends 0.75
      ? 75
      : Q extends 0.9
        ? 90
        : Q extends 0.95
          ? 95
          : Q extends 0.99
            ? 99
            : Q extends 0.999
              ? 99.9
              : Q extends 0
                ? 0
                : Q extends 1
                  ? 100
                  : number;

export function quantileName(q: number): string {
  return `p${Number((q * 100).toPrecision(12))}`;
}
