/**
 * A short list of names like a mistyped one, so a "not found" error stays one readable line on a cluster
 * with hundreds of topics.
 */

export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * Edits from `a` to `b`, a swap of two neighbouring letters counting as one (`unti` is one slip from
 * `unit`): the optimal string alignment distance.
 */
export function slipDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

function sharedPrefix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/** 0 for the same name in another case, 1 when one contains the other (`smoker` vs `smoker.alerts`). */
function distance(wanted: string, name: string): number {
  if (wanted === name) return 0;
  if (name.includes(wanted) || wanted.includes(name)) return 1;
  return editDistance(wanted, name);
}

/**
 * Internal names (Kafka's `__consumer_offsets`, runnel's `_runnel.status`) are left out unless the wanted
 * name is itself internal-looking: nobody mistypes their way towards them.
 */
export function closestNames(wanted: string, names: string[], limit = 10): { shown: string[]; more: number } {
  const w = wanted.toLowerCase();
  const candidates = w.startsWith('_') ? names : names.filter((n) => !n.startsWith('_'));
  const scored = candidates.map((name) => {
    const n = name.toLowerCase();
    return { name, d: distance(w, n), p: sharedPrefix(w, n) };
  });
  scored.sort((a, b) => a.d - b.d || b.p - a.p || a.name.localeCompare(b.name));
  return { shown: scored.slice(0, limit).map((s) => s.name), more: Math.max(0, scored.length - limit) };
}

export interface SlipOptions {
  /**
   * When nothing is a slip: a name containing `wanted` or contained in it, of three letters or more
   * (`clicks` in `clicks.per-usr`, `temp` for `temperature`). For names made of parts, as topics are.
   */
  contained?: boolean;
  /** Spaces, `_` and `-` do not count (`sensor id` for `sensor_id`): for names written by hand, as headers are. */
  loose?: boolean;
}

/**
 * The one of `names` that `wanted` is most likely a slip of, or none: the rule of every "did you mean"
 * that names one thing. Case does not count. A slip is one edit (a swap of neighbours counting as one)
 * when the longer of the two names has up to four letters, two beyond: `unti` for `unit`, `tss` for `ts`,
 * `per-usr` for `per-user`, but not `line` for `pie`. Two names of one or two letters only in another
 * case: `x` is no slip of `y`.
 */
export function slipOf(wanted: string, names: Iterable<string>, o: SlipOptions = {}): string | undefined {
  const norm = (s: string) => (o.loose ? s.toLowerCase().replace(/[\s_-]/g, '') : s.toLowerCase());
  const w = norm(wanted);
  if (w === '') return undefined;
  let best: { name: string; d: number; gap: number } | undefined;
  for (const name of names) {
    const n = norm(name);
    if (name === wanted || n === '') continue;
    // By the longer name: `tss` is one slip from `ts` (a letter too many), `x` none from `y`.
    const longer = Math.max(w.length, n.length);
    const slips = slipDistance(w, n);
    const [short, long] = w.length <= n.length ? [w, n] : [n, w];
    const d =
      slips <= (longer <= 2 ? 0 : longer <= 4 ? 1 : 2)
        ? slips
        : o.contained && short.length >= 3 && long.includes(short)
          ? 3
          : Number.POSITIVE_INFINITY;
    if (d === Number.POSITIVE_INFINITY) continue;
    // Among equals, the nearest in length: `temp` is `temp_f` before `temperature_reading`.
    const gap = Math.abs(n.length - w.length);
    if (!best || d < best.d || (d === best.d && gap < best.gap)) best = { name, d, gap };
  }
  return best?.name;
}
