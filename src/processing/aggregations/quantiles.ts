import { TDigest } from 'tdigest';
import { type Aggregator, checkFinite } from './aggregator.ts';

/**
 * A t-digest as JSON: its centroids flattened `[mean, count, mean, count, …]`, plus the values added since
 * they were last compressed. Keeping a buffer means `add` is a push, not a rebuild of the digest's tree.
 */
export interface QuantilesAcc {
  c: number[];
  b: number[];
}

export interface QuantilesOptions {
  /** t-digest compression δ (the package's `delta`): smaller is more accurate and keeps more centroids. Default 0.01. */
  delta?: number;
  /** Values buffered before they are folded into the centroids. Default 256. */
  buffer?: number;
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

/**
 * Approximate quantiles by t-digest (the maintained `tdigest` package). `result` maps each requested
 * probability to its value: `quantiles([0.5, 0.99])` gives `{ p50: …, p99: … }` (keys `p` + 100·q).
 * Accuracy is best in the tails; expect a rank error around δ in the middle (about 1% at the default).
 */
export function quantiles<const Q extends readonly number[]>(
  qs: Q,
  options: QuantilesOptions = {},
): Aggregator<number, QuantilesAcc, Record<QuantileName<Q[number]>, number>> {
  const delta = options.delta ?? 0.01;
  const buffer = options.buffer ?? 256;
  for (const q of qs) if (!(q >= 0 && q <= 1)) throw new RangeError(`quantiles: ${q} is not within 0..1`);
  const names = qs.map(quantileName);
  return {
    init: () => ({ c: [], b: [] }),
    validate: (v) => checkFinite('quantiles', v),
    add(acc, v) {
      checkFinite('quantiles', v);
      acc.b.push(v);
      return acc.b.length >= buffer ? compress(acc, delta) : acc;
    },
    merge: (a, b) => compress({ c: [...a.c, ...b.c], b: [...a.b, ...b.b] }, delta),
    result(acc) {
      const digest = digestOf(acc, delta);
      const out: Record<string, number> = {};
      const values = digest.size() === 0 ? [] : (digest.percentile([...qs]) as number[]);
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
