/** The buffers of contact detection (detect.ts), reused from tick to tick. */

const BITS = 11;
const RADIX = 1 << BITS;
const MASK = RADIX - 1;
/** Tiles of 64×64 cells (detect-tiles.ts): a tile's cells index a 4096-slot table that stays in L1. */
export const TILE_BITS = 6;
export const TILE = 1 << TILE_BITS;

/** Reusable buffers, grown to the largest population seen. */
export class DetectScratch {
  keys = new Uint32Array(0);
  order = new Uint32Array(0);
  /** The same-cell pass's buffers (see sameCell). */
  local = new Uint16Array(0);
  chain = new Int32Array(0);
  starts = new Uint32Array(0);
  readonly cells = new Int32Array(TILE * TILE);
  #tmpKeys = new Uint32Array(0);
  #tmpOrder = new Uint32Array(0);
  readonly #count = new Uint32Array(RADIX);

  #ensure(n: number): void {
    if (this.keys.length >= n) return;
    const size = Math.max(n, this.keys.length * 2);
    this.keys = new Uint32Array(size);
    this.order = new Uint32Array(size);
    this.#tmpKeys = new Uint32Array(size);
    this.#tmpOrder = new Uint32Array(size);
  }

  #heads = new Int32Array(0);

  /** A table of `size` cell heads, all 0 (each user leaves it so). */
  heads(size: number): Int32Array {
    if (this.#heads.length !== size) this.#heads = new Int32Array(size);
    return this.#heads;
  }

  /** The buffers of the same-cell pass for n people over `tiles` tiles. */
  tiled(n: number, tiles: number) {
    this.#ensure(n);
    if (this.local.length < n) {
      this.local = new Uint16Array(this.keys.length);
      this.chain = new Int32Array(this.keys.length);
    }
    if (this.starts.length < tiles + 1) this.starts = new Uint32Array(tiles + 1);
    return {
      keys: this.keys,
      order: this.order,
      local: this.local,
      chain: this.chain,
      starts: this.starts,
      cells: this.cells,
    };
  }

  /** Sorts indexes 0..n−1 by `key(i)` (stable: equal keys keep index order); keys end up in `keys`. */
  sort(n: number, key: (i: number) => number, maxKey: number): void {
    this.#ensure(n);
    let keys = this.keys;
    let order = this.order;
    let tk = this.#tmpKeys;
    let to = this.#tmpOrder;
    for (let i = 0; i < n; i++) {
      keys[i] = key(i);
      order[i] = i;
    }
    const count = this.#count;
    for (let shift = 0; shift < 32 && maxKey >>> shift > 0; shift += BITS) {
      count.fill(0);
      for (let i = 0; i < n; i++) count[(keys[i]! >>> shift) & MASK]!++;
      let sum = 0;
      for (let b = 0; b < RADIX; b++) {
        const c = count[b]!;
        count[b] = sum;
        sum += c;
      }
      for (let i = 0; i < n; i++) {
        const k = keys[i]!;
        const at = count[(k >>> shift) & MASK]!++;
        tk[at] = k;
        to[at] = order[i]!;
      }
      [keys, tk] = [tk, keys];
      [order, to] = [to, order];
    }
    this.keys = keys;
    this.order = order;
    this.#tmpKeys = tk;
    this.#tmpOrder = to;
  }
}
