import { type Aggregator, checkFinite } from './aggregator.ts';

/**
 * The sum, with Neumaier's compensation so a long window of mixed magnitudes does not drift, and so
 * the result does not depend on how values were split between merged accumulators beyond rounding.
 */
export interface SumAcc {
  s: number;
  /** The low-order bits lost by `s`. */
  c: number;
}

export function addCompensated(acc: SumAcc, x: number): SumAcc {
  const t = acc.s + x;
  const c = Math.abs(acc.s) >= Math.abs(x) ? acc.s - t + x : x - t + acc.s;
  return { s: t, c: acc.c + c };
}

export function sum(): Aggregator<number, SumAcc, number> {
  return {
    init: () => ({ s: 0, c: 0 }),
    validate: (v) => checkFinite('sum', v),
    add(acc, v) {
      checkFinite('sum', v);
      return addCompensated(acc, v);
    },
    merge: (a, b) => {
      const r = addCompensated(a, b.s);
      return { s: r.s, c: r.c + b.c };
    },
    result: (acc) => acc.s + acc.c,
  };
}
