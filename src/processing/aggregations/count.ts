import type { Aggregator } from './aggregator.ts';

/** How many values (of any type) were added. */
export function count(): Aggregator<unknown, number, number> {
  return {
    init: () => 0,
    add: (acc) => acc + 1,
    merge: (a, b) => a + b,
    result: (acc) => acc,
  };
}
