import { sleep } from '../../core/backoff.ts';
import type { SourceContext, SourceItem } from '../../core/connector.ts';
import { initialSpeed, type Pacing, ReplayControl } from '../../core/replay-control.ts';

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
 * Paces a stream against the replay's clock (see ReplayControl): `due` is how far into the schedule an item
 * goes out (ms at speed 1: event time since the first record, or i / rate). Waiting for a schedule position
 * rather than a fixed pause per item keeps the long-run pace exact whatever each batch costs; waiting on the
 * control rather than the wall clock makes pause, resume and a new speed apply at once, mid-wait included.
 */
export class Pacer {
  readonly #control: ReplayControl;
  readonly #start: number;

  constructor(control: ReplayControl = new ReplayControl()) {
    this.#control = control;
    this.#start = control.position();
  }

  /** Whether an item `dueMs` into the schedule may go out now (false while paused). */
  isDue(dueMs: number): boolean {
    const c = this.#control;
    return !c.paused && (this.#start + dueMs - c.position()) / c.speed <= 1;
  }

  async waitFor(dueMs: number, signal: AbortSignal): Promise<void> {
    const c = this.#control;
    while (!signal.aborted) {
      if (c.paused) {
        await c.changed(signal);
        continue;
      }
      const wall = (this.#start + dueMs - c.position()) / c.speed;
      if (wall <= 1) return;
      const stop = new AbortController();
      const wake = () => stop.abort();
      signal.addEventListener('abort', wake, { once: true });
      // A change (pause, speed) ends the sleep early; the loop then measures again with the new state.
      const changed = c.changed(stop.signal).then(wake);
      await sleep(wall, stop.signal);
      stop.abort();
      await changed;
      signal.removeEventListener('abort', wake);
    }
  }
}

/** The pacer of a source that paces as `pacing` says: on the runtime's control when it gave one. */
export function pacerFor(ctx: SourceContext, pacing: Pacing): Pacer {
  return new Pacer(ctx.control ?? new ReplayControl({ speed: initialSpeed(pacing) }));
}

/**
 * Batches a source's items, paced as `pacing` says (none: as fast as they come). Records go out at their
 * place in the schedule: i / rate, or their event time after the first record's. What is ready is sent
 * before each real wait, so a pause never holds back records whose time had come, and records whose time
 * has passed (a slow batch, a faster speed) are batched together up to `size`.
 */
export async function* paced(
  items: AsyncIterable<SourceItem> | Iterable<SourceItem>,
  ctx: SourceContext,
  pacing: Pacing | undefined,
  size: number,
): AsyncGenerator<SourceItem[]> {
  const pacer = pacing ? pacerFor(ctx, pacing) : undefined;
  let sent = 0;
  let first: number | undefined;
  let batch: SourceItem[] = [];
  for await (const item of items) {
    if (ctx.signal.aborted) return;
    if (pacer && pacing && item.kind === 'record') {
      const at = item.record.timestamp;
      const due =
        pacing.by === 'rate' ? (sent / pacing.rate) * 1000 : first === undefined || at === undefined ? 0 : at - first;
      first ??= at;
      if (batch.length > 0 && !pacer.isDue(due)) {
        yield batch;
        batch = [];
      }
      await pacer.waitFor(due, ctx.signal);
      if (ctx.signal.aborted) return;
      sent++;
    }
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Records per batch of a source going flat out (rate 0). Each batch is one produce: a transaction, and a
 * wake-up of every reader in the process. 4000 instead of 1000 took `run buzz` into SQLite to 0.90× the
 * time (500k records, alternated whole runs); 8000 gained nothing more. The local broker still stores
 * them as batches of at most MAX_BATCH_RECORDS.
 */
const FLAT_OUT_BATCH = 4000;

/** Batch size for a rate: about 20 batches a second, so high rates stay smooth and cheap. */
export function batchSizeFor(rate: number): number {
  return rate <= 0 ? FLAT_OUT_BATCH : Math.max(1, Math.min(1000, Math.round(rate / 20)));
}
