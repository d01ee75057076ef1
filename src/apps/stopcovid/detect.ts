/**
 * Contact detection on typed arrays, the hot loop of the app (the tile stage and the benchmark run it).
 * People are first spread over 64×64-cell tiles by one counting sort (detect-tiles.ts), so the rest of the
 * work is on a tile's few dozen people in cache: same cell through a per-tile table of cells, within a
 * radius through the tile's r-wide cells and its borders with the forward tiles. A radius of 64 or more
 * takes the general path here: an LSD radix sort of r-wide cells (3 passes of 11 bits), each cell meeting
 * itself and its 4 forward neighbours.
 */

import { DetectScratch, TILE } from './detect-scratch.ts';
import { type ContactFinder, nearTiled, sameCell } from './detect-tiles.ts';

export { DetectScratch };

/**
 * Calls `visit(i, j)` once for each pair of people (indexes into xs/ys, any order) who meet: the same cell
 * (radius 0) or within `radius` (Euclidean). Positions are whole cells in [0, width) × [0, height).
 */
export const forEachContact: ContactFinder = (xs, ys, n, width, height, radius, scratch, visit) => {
  if (n < 2) return;
  if (radius === 0) {
    sameCell(xs, ys, n, width, height, 0, scratch, visit);
    return;
  }
  if (radius < TILE) {
    nearTiled(xs, ys, n, width, height, radius, scratch, visit);
    return;
  }
  // A radius of a tile or more: an LSD radix sort of r-wide cells, each meeting itself and its 4 forward
  // neighbours. One spare column, so a cell's right neighbour never wraps onto the next row.
  const cols = Math.floor((width - 1) / radius) + 2;
  const rows = Math.floor((height - 1) / radius) + 1;
  scratch.sort(n, (i) => Math.floor(ys[i]! / radius) * cols + Math.floor(xs[i]! / radius), rows * cols);
  const { keys, order } = scratch;
  const r2 = radius * radius;
  const near = (i: number, j: number) => {
    const dx = xs[i]! - xs[j]!;
    const dy = ys[i]! - ys[j]!;
    return dx * dx + dy * dy <= r2;
  };
  // The runs of the cells just below (key + cols − 1 .. key + cols + 1) start at or after these pointers,
  // which only move forward as the cells are visited in key order.
  let below = 0;
  for (let a = 0; a < n; ) {
    const key = keys[a]!;
    let b = a + 1;
    while (b < n && keys[b] === key) b++;
    // Within the cell.
    for (let i = a; i < b; i++)
      for (let j = i + 1; j < b; j++) if (near(order[i]!, order[j]!)) visit(order[i]!, order[j]!);
    // The cell to the right: the next run, if it is that cell.
    if (b < n && keys[b] === key + 1) {
      for (let j = b; j < n && keys[j] === key + 1; j++)
        for (let i = a; i < b; i++) if (near(order[i]!, order[j]!)) visit(order[i]!, order[j]!);
    }
    // The three cells below: one contiguous key range [key + cols − 1, key + cols + 1].
    const lo = key + cols - 1;
    const hi = key + cols + 1;
    if (below < b) below = b;
    while (below < n && keys[below]! < lo) below++;
    for (let j = below; j < n && keys[j]! <= hi; j++)
      for (let i = a; i < b; i++) if (near(order[i]!, order[j]!)) visit(order[i]!, order[j]!);
    a = b;
  }
};

/**
 * One synchronous tick of the rule on typed arrays: `next` gets `status` with every 0 who met a 1 or a 2
 * turned 1 (reads only `status`, the end of the tick before). Returns how many became 1.
 */
export function spread(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  status: Uint8Array,
  next: Uint8Array,
  width: number,
  height: number,
  radius: number,
  scratch: DetectScratch,
): number {
  const n = status.length;
  next.set(status);
  let changed = 0;
  forEachContact(xs, ys, n, width, height, radius, scratch, (i, j) => {
    const a = status[i]!;
    const b = status[j]!;
    if (a === 0 && b !== 0 && next[i] === 0) {
      next[i] = 1;
      changed++;
    } else if (b === 0 && a !== 0 && next[j] === 0) {
      next[j] = 1;
      changed++;
    }
  });
  return changed;
}
