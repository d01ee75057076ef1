import { type Aggregator, checkFinite } from './aggregator.ts';

/** The largest value; `null` until one is added (a window always has one, so its result is a number). */
export function max(): Aggregator<number, number | null, number> {
  return {
    init: () => null,
    validate: (v) => checkFinite('max', v),
    add(acc, v) {
      checkFinite('max', v);
      return acc === null || v > acc ? v : acc;
    },
    merge: (a, b) => (a === null ? b : b === null ? a : Math.max(a, b)),
    result: (acc) => acc ?? Number.NaN,
  };
}
