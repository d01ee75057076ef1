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
