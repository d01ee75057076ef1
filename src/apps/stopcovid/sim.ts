/**
 * The Stop-Covid simulation (seed 004) as pure functions: the population, its moves, the grid's tiles and
 * the contact rule. The source, the pipeline's stages and the tests' reference simulation all use these,
 * so they agree by construction on everything but what is under test (the dataflow).
 */

import { DetectScratch, forEachContact } from './detect.ts';

/** Health status: 0 no problem, 1 suspicious, 2 infected (the seed's codes). */
export type Status = 0 | 1 | 2;

export interface SimConfig {
  people: number;
  width: number;
  height: number;
  seed: number;
  /** 0: the seed's rule, same cell in the same tick; r > 0: Euclidean distance <= r. */
  radius: number;
  /** Beyond the seed (off when absent): a notified person tests `delay` ticks later (see testResult). */
  test?: TestRule;
}

export interface TestRule {
  /** Ticks from becoming 1 to the test's result (>= 1). */
  delay: number;
  /** Chance the test says 2 (infected); else the person is 0 again and can be notified anew. */
  positive: number;
}

/**
 * The test's result for someone who became 1 at `tick`: 2 with probability `positive`, else 0. A hash of
 * the person and the tick, not a draw from a stream, so every stage, worker and the reference agree
 * without sharing anything.
 */
export function testResult(id: number, tick: number, positive: number): Status {
  let h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(tick + 0x27d4eb2f, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296 < positive ? 2 : 0;
}

/**
 * Person `id`'s status at the end of `tick`, from their initial status and the ticks they became 1 at
 * (ascending): 1 from each of those ticks, then, with the test rule, its result `delay` ticks later.
 */
export function statusAt(
  id: number,
  s0: Status,
  changes: readonly number[],
  tick: number,
  test: TestRule | undefined,
): Status {
  let s = s0;
  for (const at of changes) {
    if (at > tick) break;
    s = test && tick >= at + test.delay ? testResult(id, at, test.positive) : 1;
  }
  return s;
}

/** A person's record on `stopcovid.positions` at one tick (status0 only at tick 0). */
export interface Position {
  id: number;
  phone: number;
  x: number;
  y: number;
  tick: number;
  status0?: Status;
  /** Set on the end marker that follows the last tick (see the source). */
  end?: true;
}

/** The seed's odds: 101×101 cells for 99 people. */
const SEED_DENSITY = 99 / (101 * 101);
const MAX_STEP = 5;

/** A square grid that keeps the seed's density (never under 11 cells a side, so a reflected move stays in). */
export function defaultGrid(people: number): { width: number; height: number } {
  const side = Math.max(11, Math.round(Math.sqrt(people / SEED_DENSITY)));
  return { width: side, height: side };
}

/** mulberry32: small, fast and seedable; the same seed gives the same run everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** randint(lo, hi) inclusive, as the seed's Python. */
const randint = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** A move that would leave [0, size) comes back in, as off a mirror. */
export function reflect(v: number, size: number): number {
  if (v < 0) return -v;
  if (v > size - 1) return 2 * (size - 1) - v;
  return v;
}

/**
 * Everyone's state in typed arrays (about 25 bytes a person): tick 0 places people and draws phones and
 * statuses as the seed did; each `move()` moves everyone by −5..5 per axis, reflected at the edges.
 */
export class Population {
  readonly xs: Int32Array;
  readonly ys: Int32Array;
  readonly phones: Float64Array;
  readonly status0: Uint8Array;
  readonly #r: () => number;
  readonly #c: SimConfig;

  constructor(c: SimConfig) {
    const n = c.people;
    const r = rng(c.seed);
    this.#r = r;
    this.#c = c;
    this.xs = new Int32Array(n);
    this.ys = new Int32Array(n);
    this.phones = new Float64Array(n);
    this.status0 = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      this.phones[i] = randint(r, 33600000000, 33799999999);
      this.xs[i] = randint(r, 0, c.width - 1);
      this.ys[i] = randint(r, 0, c.height - 1);
      const d = randint(r, 0, 20);
      this.status0[i] = d === 20 ? 2 : d >= 15 ? 1 : 0;
    }
  }

  move(): void {
    const { xs, ys } = this;
    const r = this.#r;
    const { width, height } = this.#c;
    for (let i = 0; i < xs.length; i++) {
      xs[i] = reflect(xs[i]! + randint(r, -MAX_STEP, MAX_STEP), width);
      ys[i] = reflect(ys[i]! + randint(r, -MAX_STEP, MAX_STEP), height);
    }
  }
}

/** The run, tick by tick, as records: positions of everyone (ids 1..N), tick 0 with the initial status. */
export function* simulate(c: SimConfig): Generator<Position[], never> {
  const pop = new Population(c);
  const { xs, ys, phones } = pop;
  const first: Position[] = [];
  for (let i = 0; i < c.people; i++) {
    const status0 = pop.status0[i] as Status;
    first.push({ id: i + 1, phone: phones[i]!, x: xs[i]!, y: ys[i]!, tick: 0, status0 });
  }
  yield first;
  for (let tick = 1; ; tick++) {
    pop.move();
    const out: Position[] = new Array(c.people);
    for (let i = 0; i < c.people; i++) out[i] = { id: i + 1, phone: phones[i]!, x: xs[i]!, y: ys[i]!, tick };
    yield out;
  }
}

/** Someone at a tick, with the status they had at the end of the tick before. */
export interface Seen {
  id: number;
  x: number;
  y: number;
  status: Status;
}

/**
 * Who met whom: pairs [i, j] of indexes into `people` (i < j). Same cell with radius 0; else within
 * `radius`, found through a uniform grid of cells of that size (see detect.ts, shared with the benchmark).
 */
export function contacts(people: Seen[], radius: number): Array<[number, number]> {
  const n = people.length;
  const xs = new Int32Array(n);
  const ys = new Int32Array(n);
  let width = 1;
  let height = 1;
  for (let i = 0; i < n; i++) {
    const p = people[i]!;
    xs[i] = p.x;
    ys[i] = p.y;
    if (p.x + 1 > width) width = p.x + 1;
    if (p.y + 1 > height) height = p.y + 1;
  }
  const out: Array<[number, number]> = [];
  forEachContact(xs, ys, n, width, height, radius, scratch, (i, j) => out.push(pair(i, j)));
  return out;
}

const scratch = new DetectScratch();

const pair = (a: number, b: number): [number, number] => (a < b ? [a, b] : [b, a]);

/**
 * The README's rule, synchronous: a 0 who met a 1 or a 2 becomes 1 (two 0s stay 0, the seed's bug fixed).
 * Returns, for each person who becomes 1, the ids of the contacts that caused it (ascending).
 */
export function infections(people: Seen[], met: Array<[number, number]>): Map<number, number[]> {
  const out = new Map<number, number[]>();
  const blame = (victim: Seen, by: Seen) => {
    if (victim.status !== 0 || by.status === 0) return;
    const list = out.get(victim.id);
    if (list) list.push(by.id);
    else out.set(victim.id, [by.id]);
  };
  for (const [i, j] of met) {
    blame(people[i]!, people[j]!);
    blame(people[j]!, people[i]!);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

/** The seed's sentence, with its typo fixed. */
export const notificationText = (id: number, phone: number): string =>
  `Notification sent to id #${id} on phone number ${phone} about a suspicious contagion by Covid-19.`;

/** Tiles: squares of `tile` cells, the unit of space the contact stage is partitioned by. */
export const tileKey = (tx: number, ty: number): string => `${tx}:${ty}`;

/**
 * The tiles that must see a person: home first, then (with a radius) each neighbouring tile holding a
 * point within `radius` of them, where they come as a ghost. `radius` must be below `tile`.
 */
export function tilesOf(x: number, y: number, tile: number, radius: number, width: number, height: number): string[] {
  const tx = Math.floor(x / tile);
  const ty = Math.floor(y / tile);
  const out = [tileKey(tx, ty)];
  if (radius <= 0) return out;
  const near = (v: number, t: number) => [v - t * tile < radius, (t + 1) * tile - 1 - v < radius] as const;
  const [left, right] = near(x, tx);
  const [low, high] = near(y, ty);
  const maxX = Math.ceil(width / tile) - 1;
  const maxY = Math.ceil(height / tile) - 1;
  for (let dx = -1; dx <= 1; dx++)
    for (let dy = -1; dy <= 1; dy++) {
      if (dx === 0 && dy === 0) continue;
      if ((dx === -1 && !left) || (dx === 1 && !right) || (dy === -1 && !low) || (dy === 1 && !high)) continue;
      const nx = tx + dx;
      const ny = ty + dy;
      if (nx < 0 || ny < 0 || nx > maxX || ny > maxY) continue;
      out.push(tileKey(nx, ny));
    }
  return out;
}
