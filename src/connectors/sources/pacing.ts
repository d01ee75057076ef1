import { sleep } from '../../core/backoff.ts';

/** Seeded PRNG (mulberry32): the same seed gives the same stream, on every machine. */
export function mulberry32(seed: number): () => number {
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
 * Paces a stream against the wall clock: `due(i)` is when item i should go out. Sleeping to a schedule
 * (not a fixed pause per item) keeps the long-run rate exact whatever each batch costs.
 */
export class Pacer {
  readonly #start = performance.now();

  async waitFor(dueMs: number, signal: AbortSignal): Promise<void> {
    const wait = this.#start + dueMs - performance.now();
    if (wait > 1) await sleep(wait, signal);
  }
}

/** Batch size for a rate: about 20 batches a second, so high rates stay smooth and cheap. */
export function batchSizeFor(rate: number): number {
  return rate <= 0 ? 1000 : Math.max(1, Math.min(1000, Math.round(rate / 20)));
}
