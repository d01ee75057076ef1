/**
 * Contact detection tile by tile: people spread over 64×64-cell tiles by one counting sort (byTile), so
 * the rest of the work is on a tile's few dozen people, in cache.
 */
import { type DetectScratch, TILE, TILE_BITS } from './detect-scratch.ts';

/** Calls `visit(i, j)` once for each pair who meet (see forEachContact in detect.ts). */
export type ContactFinder = (
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  n: number,
  width: number,
  height: number,
  radius: number,
  scratch: DetectScratch,
  visit: (i: number, j: number) => void,
) => void;

/**
 * One counting sort of people by 64×64 tile: afterwards tile t's people are order[starts[t − 1] ..
 * starts[t]) (from 0 for the first), each with their cell within the tile in `local` ((y & 63) << 6 | x & 63).
 * Reads are sequential; the one scatter writes to as many places as there are tiles, which stay in cache.
 */
function byTile(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  n: number,
  cols: number,
  tiles: number,
  scratch: DetectScratch,
) {
  const buffers = scratch.tiled(n, tiles);
  const { keys, order, local, starts } = buffers;
  starts.fill(0, 0, tiles + 1);
  for (let i = 0; i < n; i++) {
    const t = (ys[i]! >> TILE_BITS) * cols + (xs[i]! >> TILE_BITS);
    keys[i] = t;
    starts[t + 1]!++;
  }
  for (let t = 0; t < tiles; t++) starts[t + 1]! += starts[t]!;
  // The scatter moves each tile's start to its end.
  for (let i = 0; i < n; i++) {
    const at = starts[keys[i]!]!++;
    order[at] = i;
    local[at] = ((ys[i]! & (TILE - 1)) << TILE_BITS) | (xs[i]! & (TILE - 1));
  }
  return buffers;
}

/**
 * Within `radius` (1..63), tile by tile (see byTile): in a tile, each person meets those before them in
 * the 2×2 block of 2r-wide cells around them (a table of chains, in cache); then the people near the tile's right
 * and lower borders meet those of the 4 forward tiles, so each pair of tiles is seen from one side.
 */
export const nearTiled: ContactFinder = (xs, ys, n, width, height, radius, scratch, visit) => {
  // A spare column of tiles, so a tile's right (or below-left) neighbour never wraps onto another row.
  const cols = ((width - 1) >> TILE_BITS) + 2;
  const tiles = cols * (((height - 1) >> TILE_BITS) + 1);
  const { order, local, starts } = byTile(xs, ys, n, cols, tiles, scratch);
  const r2 = radius * radius;
  // The tile's cells, 2r wide, with a margin of one all round. Everyone within r of a person lies in the
  // 2×2 block of cells made of theirs and the neighbours on the sides they are nearer to.
  const size = 2 * radius;
  const cw = Math.ceil(TILE / size) + 2;
  const heads = scratch.heads(cw * cw);
  const { chain } = scratch;
  // A coordinate within the tile → its cell (+1, the margin), and the side of the cell it is nearer to.
  const cellOf = new Int32Array(TILE);
  const sideOf = new Int32Array(TILE);
  for (let v = 0; v < TILE; v++) {
    cellOf[v] = ((v / size) | 0) + 1;
    sideOf[v] = v % size < radius ? -1 : 1;
  }
  const cross = (p: number, u: number, dtx: number, dty: number, xl: number, yl: number) => {
    if (u >= tiles) return;
    const c = u === 0 ? 0 : starts[u - 1]!;
    const d = starts[u]!;
    for (let q = c; q < d; q++) {
      const w = local[q]!;
      const dx = (w & (TILE - 1)) + dtx * TILE - xl;
      const dy = (w >> TILE_BITS) + dty * TILE - yl;
      if (dx * dx + dy * dy <= r2) visit(order[p]!, order[q]!);
    }
  };
  for (let t = 0; t < tiles; t++) {
    const a = t === 0 ? 0 : starts[t - 1]!;
    const b = starts[t]!;
    if (a === b) continue;
    // Within the tile: each person meets those before them in their 2×2 block of cells, then joins their
    // cell's chain, so each pair is seen once (from the later of the two), with no sorting.
    for (let p = a; p < b; p++) {
      const v = local[p]!;
      const xl = v & (TILE - 1);
      const yl = v >> TILE_BITS;
      const c = cellOf[yl]! * cw + cellOf[xl]!;
      const sx = sideOf[xl]!;
      const sy = sideOf[yl]! * cw;
      for (let k = 0; k < 4; k++) {
        const d = c + (k & 1 ? sx : 0) + (k & 2 ? sy : 0);
        for (let q = heads[d]! - 1; q >= 0; q = chain[q]!) {
          const w = local[q]!;
          const dx = (w & (TILE - 1)) - xl;
          const dy = (w >> TILE_BITS) - yl;
          if (dx * dx + dy * dy <= r2) visit(order[q]!, order[p]!);
        }
      }
      chain[p] = heads[c]! - 1;
      heads[c] = p + 1;
    }
    for (let p = a; p < b; p++) {
      const v = local[p]!;
      heads[cellOf[v >> TILE_BITS]! * cw + cellOf[v & (TILE - 1)]!] = 0;
    }
    // Across the borders, towards the forward tiles only: each pair of tiles is seen from one side.
    for (let p = a; p < b; p++) {
      const v = local[p]!;
      const xl = v & (TILE - 1);
      const yl = v >> TILE_BITS;
      const right = xl >= TILE - radius;
      const low = yl >= TILE - radius;
      if (right) cross(p, t + 1, 1, 0, xl, yl);
      if (!low) continue;
      cross(p, t + cols, 0, 1, xl, yl);
      if (right) cross(p, t + cols + 1, 1, 1, xl, yl);
      if (xl < radius) cross(p, t + cols - 1, -1, 1, xl, yl);
    }
  }
};

/**
 * Same cell, cache-friendly: one counting sort of people by tile (a few tens of thousands of buckets),
 * writing each person's index and cell within the tile side by side; then each tile's people meet through
 * a small table of its cells (the cell's latest person, each linking to the one before in their cell).
 * Reads and writes are sequential but for the one scatter, so a million people cost one pass, not three.
 */
export const sameCell: ContactFinder = (xs, ys, n, width, height, _radius, scratch, visit) => {
  const cols = ((width - 1) >> TILE_BITS) + 1;
  const tiles = cols * (((height - 1) >> TILE_BITS) + 1);
  const { order, local, chain, starts, cells } = byTile(xs, ys, n, cols, tiles, scratch);
  for (let t = 0; t < tiles; t++) {
    const a = t === 0 ? 0 : starts[t - 1]!;
    const b = starts[t]!;
    if (b - a < 2) continue;
    for (let p = a; p < b; p++) {
      const c = local[p]!;
      const s = cells[c]!;
      if (s !== 0) {
        const i = order[p]!;
        for (let q = s - 1; q >= 0; q = chain[q]!) visit(order[q]!, i);
        chain[p] = s - 1;
      } else chain[p] = -1;
      cells[c] = p + 1;
    }
    for (let p = a; p < b; p++) cells[local[p]!] = 0;
  }
};
