import { type Aggregator, checkFinite } from './aggregator.ts';

/** The smallest value; `null` until one is added (a window always has one, so its result is a number). */
export function min(): Aggregator<number, number | null, number> {
  return {
    init: () => null,
    validate: (v) => checkFinite('min', v),
    add(acc, v) {
      checkFinite('min', v);
      return acc === null || v < acc ? v : acc;
    },
    merge: (a, b) => (a === null ? b : b === null ? a : Math.min(a, b)),
    result: (acc) => acc ?? Number.NaN,
  };
}
