/**
 * Event-time timers: ids due at a time, popped once the watermark reaches it. A binary heap of the
 * distinct times over a map time -> ids, so a watermark step costs O(timers due · log times), never
 * O(keys held). Ids may go stale (a session that merged, a window already closed); the caller checks its
 * state when one fires, so nothing needs removing.
 */
const NONE: readonly string[] = Object.freeze([]);

export class Timers {
  readonly #heap: number[] = [];
  readonly #at = new Map<number, Set<string>>();

  get size(): number {
    return this.#at.size;
  }

  add(time: number, id: string): void {
    let ids = this.#at.get(time);
    if (!ids) {
      ids = new Set();
      this.#at.set(time, ids);
      this.#push(time);
    }
    ids.add(id);
  }

  /** Removes and returns the ids due at or before `watermark`, earliest time first. */
  due(watermark: number): readonly string[] {
    // The common case, a watermark step with nothing due (every record moves it): no array.
    if (this.#heap.length === 0 || this.#heap[0]! > watermark) return NONE;
    const out: string[] = [];
    while (this.#heap.length > 0 && this.#heap[0]! <= watermark) {
      const time = this.#pop();
      const ids = this.#at.get(time);
      this.#at.delete(time);
      if (ids) for (const id of ids) out.push(id);
    }
    return out;
  }

  clear(): void {
    this.#heap.length = 0;
    this.#at.clear();
  }

  #push(time: number): void {
    const h = this.#heap;
    h.push(time);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]! <= time) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = time;
  }

  #pop(): number {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && h[r]! < h[l]! ? r : l;
        if (h[c]! >= last) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
