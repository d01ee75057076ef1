/**
 * Brute-force references for the alert rules' property tests. Episodes are found here by scanning runs of
 * readings (look ahead for the confirming and the clearing reading), not by a state machine, so the rules'
 * machine is checked against the definition rather than against a copy of itself.
 */
import fc from 'fast-check';
import type { AlertEvent, AlertRule } from '../../src/processing/alerts/index.ts';

export interface Reading {
  at: number;
  value: number;
}

/** Per reading, from the rule's definition: may it start, must it end, and its measure (for the peak). */
export interface RefVerdict {
  trigger: boolean;
  clear: boolean;
  measure?: number;
}

export interface Episode {
  startedAt: number;
  /** The reading that confirmed it (`started`). */
  startAt: number;
  endAt?: number;
  durationMs?: number;
  peak: number;
  updates: number[];
}

export interface RefOptions {
  direction: 'up' | 'down' | 'abs';
  minReadings?: number;
  minMs?: number;
  updates?: 'none' | 'peak' | number;
}

/** More extreme, by more than float noise (1e-9 relative): the rules' definition of a peak changing. */
function more(direction: RefOptions['direction'], a: number, b: number): boolean {
  const [x, y] = direction === 'abs' ? [Math.abs(a), Math.abs(b)] : [a, b];
  const beyond = Math.abs(x - y) > 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
  return beyond && (direction === 'down' ? x < y : x > y);
}

export function referenceEpisodes(rs: Reading[], vs: RefVerdict[], o: RefOptions): Episode[] {
  const out: Episode[] = [];
  let i = 0;
  while (i < rs.length) {
    if (!vs[i]?.trigger) {
      i++;
      continue;
    }
    let confirm = -1;
    let j = i;
    for (; j < rs.length && vs[j]?.trigger; j++) {
      const met = o.minMs !== undefined ? rs[j]!.at - rs[i]!.at >= o.minMs : j - i + 1 >= (o.minReadings ?? 1);
      if (met) {
        confirm = j;
        break;
      }
    }
    if (confirm < 0) {
      i = j;
      continue;
    }
    let end = confirm + 1;
    while (end < rs.length && !vs[end]?.clear) end++;
    const ms = vs.slice(i, end).flatMap((v) => (v.measure === undefined ? [] : [v.measure]));
    const peakUpTo = (k: number) => ms.slice(0, k).reduce((p, m) => (more(o.direction, m, p) ? m : p));
    const updates: number[] = [];
    const updateIdx: number[] = [];
    for (let k = confirm + 1; k < end; k++) {
      const n = k - confirm;
      const before = vs.slice(i, k).filter((v) => v.measure !== undefined).length;
      const changed = vs[k]?.measure !== undefined && more(o.direction, vs[k]!.measure!, peakUpTo(before));
      if ((o.updates === 'peak' && changed) || (typeof o.updates === 'number' && n % o.updates === 0)) {
        updates.push(rs[k]!.at);
        updateIdx.push(k);
      }
    }
    // The peak as the last event reports it: over the whole episode once ended, else up to the last event.
    const lastEvent = end < rs.length ? end : (updateIdx.at(-1) ?? confirm) + 1;
    const seen = vs.slice(i, lastEvent).filter((v) => v.measure !== undefined).length;
    const ep: Episode = { startedAt: rs[i]!.at, startAt: rs[confirm]!.at, peak: peakUpTo(seen), updates };
    if (end < rs.length) {
      ep.endAt = rs[end]!.at;
      ep.durationMs = rs[end]!.at - rs[i]!.at;
    }
    out.push(ep);
    if (end >= rs.length) break;
    i = end + 1;
  }
  return out;
}

/** The rule's events grouped into episodes, checking their order on the way. */
export function episodesOf(events: AlertEvent[]): Episode[] {
  const out: Episode[] = [];
  let open: Episode | undefined;
  for (const e of events) {
    if (e.type === 'started') {
      if (open) throw new Error(`started while an episode is open at ${e.at}`);
      open = { startedAt: e.startedAt, startAt: e.at, peak: e.peak, updates: [] };
      out.push(open);
      continue;
    }
    if (!open || open.startedAt !== e.startedAt) throw new Error(`${e.type} outside its episode at ${e.at}`);
    open.peak = e.peak;
    if (e.type === 'updated') open.updates.push(e.at);
    else {
      open.endAt = e.at;
      open.durationMs = e.durationMs;
      open = undefined;
    }
  }
  return out;
}

/** Frozen all the way down: a step that mutated its input state would throw (ESM is strict mode). */
export function deepFreeze<T>(x: T): T {
  if (x !== null && typeof x === 'object' && !Object.isFrozen(x)) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

/**
 * Runs a series through a rule, freezing each state it is handed. At the indexes in `restoreAt`, the state is
 * replaced by a JSON round trip of itself before the reading: what a crash and a restore from the store do.
 */
export function run<S>(rule: AlertRule<S>, rs: Reading[], restoreAt: ReadonlySet<number> = new Set()): AlertEvent[] {
  return runIndexed(rule, rs, restoreAt).map(({ event }) => event);
}

/** `run`, with the index of the reading behind each event. */
export function runIndexed<S>(
  rule: AlertRule<S>,
  rs: Reading[],
  restoreAt: ReadonlySet<number> = new Set(),
): { i: number; event: AlertEvent }[] {
  const events: { i: number; event: AlertEvent }[] = [];
  let state = rule.initial();
  rs.forEach((r, i) => {
    if (restoreAt.has(i)) state = JSON.parse(JSON.stringify(state)) as S;
    const out = rule.step(deepFreeze(state), r.value, r.at);
    state = out.state;
    for (const event of out.events) events.push({ i, event });
  });
  return events;
}

/** Readings with one decimal (as sensors send), event time non-decreasing with repeats, from `values`. */
export function seriesArb(values: fc.Arbitrary<number>, maxLength = 120): fc.Arbitrary<Reading[]> {
  return fc
    .array(fc.tuple(values, fc.integer({ min: 0, max: 120 })), { minLength: 0, maxLength, size: 'max' })
    .map((pairs) => {
      let at = Date.UTC(2025, 0, 1);
      return pairs.map(([value, dtS]) => {
        at += dtS * 1000;
        return { at, value };
      });
    });
}

/** Tenths in [lo, hi]: values whose comparisons the brute force and the rule both get exactly right. */
export function tenths(lo: number, hi: number): fc.Arbitrary<number> {
  return fc.integer({ min: Math.round(lo * 10), max: Math.round(hi * 10) }).map((n) => n / 10);
}

/** A minDuration option and the reference's view of it. */
export const minDurationArb: fc.Arbitrary<{
  option?: number | string;
  ref: Pick<RefOptions, 'minReadings' | 'minMs'>;
}> = fc.oneof(
  fc.constant({ ref: {} }),
  fc.integer({ min: 1, max: 5 }).map((n) => ({ option: n, ref: { minReadings: n } })),
  fc.integer({ min: 0, max: 6 }).map((m) => ({ option: `${m}m`, ref: { minMs: m * 60_000 } })),
);

export const updatesArb: fc.Arbitrary<'none' | 'peak' | number> = fc.oneof(
  fc.constant('none' as const),
  fc.constant('peak' as const),
  fc.integer({ min: 1, max: 4 }),
);

/** Restore points for a series of length n. */
export function restoreArb(): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 6 });
}
