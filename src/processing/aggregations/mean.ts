import { type Aggregator, checkFinite } from './aggregator.ts';
import { addCompensated, type SumAcc } from './sum.ts';

export interface MeanAcc extends SumAcc {
  n: number;
}

/** The arithmetic mean (a compensated sum over a count); NaN for no values, which no window has. */
export function mean(): Aggregator<number, MeanAcc, number> {
  return {
    init: () => ({ s: 0, c: 0, n: 0 }),
    validate: (v) => checkFinite('mean', v),
    add(acc, v) {
      checkFinite('mean', v);
      const r = addCompensated(acc, v);
      return { s: r.s, c: r.c, n: acc.n + 1 };
    },
    merge(a, b) {
      const r = addCompensated(a, b.s);
      return { s: r.s, c: r.c + b.c, n: a.n + b.n };
    },
    result: (acc) => (acc.n === 0 ? Number.NaN : (acc.s + acc.c) / acc.n),
  };
}
