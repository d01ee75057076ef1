import { type Aggregator, checkFinite } from './aggregator.ts';

/**
 * Count, mean and the sum of squared deviations (M2): Welford's update per value, Chan et al.'s formula
 * to merge two, so neither a large mean nor merging sessions loses precision the way Σx² − (Σx)²/n does.
 */
export interface MomentsAcc {
  n: number;
  mean: number;
  m2: number;
}

export interface VarianceOptions {
  /** Divide by n − 1 (sample variance; NaN for a single value) instead of n (population; the default). */
  sample?: boolean;
}

function moments(name: string): Omit<Aggregator<number, MomentsAcc, number>, 'result'> {
  return {
    init: () => ({ n: 0, mean: 0, m2: 0 }),
    validate: (v) => checkFinite(name, v),
    add(acc, v) {
      checkFinite(name, v);
      const n = acc.n + 1;
      const d = v - acc.mean;
      const mean = acc.mean + d / n;
      return { n, mean, m2: acc.m2 + d * (v - mean) };
    },
    merge(a, b) {
      if (a.n === 0) return b;
      if (b.n === 0) return a;
      const n = a.n + b.n;
      const d = b.mean - a.mean;
      return { n, mean: a.mean + (d * b.n) / n, m2: a.m2 + b.m2 + (d * d * a.n * b.n) / n };
    },
  };
}

function varianceOf(acc: MomentsAcc, sample: boolean): number {
  const dof = sample ? acc.n - 1 : acc.n;
  return dof <= 0 ? Number.NaN : Math.max(0, acc.m2) / dof;
}

export function variance(options: VarianceOptions = {}): Aggregator<number, MomentsAcc, number> {
  const sample = options.sample ?? false;
  return { ...moments('variance'), result: (acc) => varianceOf(acc, sample) };
}

/** The standard deviation: the square root of `variance` with the same options. */
export function std(options: VarianceOptions = {}): Aggregator<number, MomentsAcc, number> {
  const sample = options.sample ?? false;
  return { ...moments('std'), result: (acc) => Math.sqrt(varianceOf(acc, sample)) };
}
