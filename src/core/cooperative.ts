import { setImmediate } from 'node:timers/promises';

/** How much work a loop may do before it lets signal handlers, timers and I/O run. */
export const SLICE_MS = 5;

/**
 * Keeps a busy loop from starving the event loop. At `--rate 0` a source, the local broker (synchronous
 * SQLite) and a consumer with a backlog only ever await promises that are already settled: microtasks,
 * never a turn of the event loop, so Ctrl-C, the status publisher and the progress line never ran. A
 * loop awaits `turn()` once per batch; it gives the event loop one full turn (timers, signals, I/O) when
 * the loop has worked for `sliceMs` since the last one, and costs one clock read otherwise.
 */
export class Yielder {
  #since = performance.now();
  readonly #sliceMs: number;

  constructor(sliceMs = SLICE_MS) {
    this.#sliceMs = sliceMs;
  }

  turn(): Promise<void> | undefined {
    if (performance.now() - this.#since < this.#sliceMs) return undefined;
    return setImmediate().then(() => {
      this.#since = performance.now();
    });
  }
}
