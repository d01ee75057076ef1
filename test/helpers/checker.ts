/** An event as the crash tests write it: `seq` strictly increases per key (Jepsen-style histories). */
export interface Event {
  id: number;
  key: string;
  seq: number;
}

export interface Verdict {
  count: number;
  unique: number;
  lost: number[];
  duplicates: number;
  /** Keys whose seq did not strictly increase in output order. */
  nonmonotonic: string[];
}

/** Compares a sink's output (in its own order) with ids 0..expected-1. */
export function check(output: Event[], expected: number): Verdict {
  const seen = new Set<number>();
  let duplicates = 0;
  const lastSeq = new Map<string, number>();
  const nonmonotonic = new Set<string>();
  for (const e of output) {
    if (seen.has(e.id)) duplicates++;
    seen.add(e.id);
    const prev = lastSeq.get(e.key);
    if (prev !== undefined && e.seq <= prev) nonmonotonic.add(e.key);
    lastSeq.set(e.key, e.seq);
  }
  const lost: number[] = [];
  for (let id = 0; id < expected; id++) if (!seen.has(id)) lost.push(id);
  return { count: output.length, unique: seen.size, lost, duplicates, nonmonotonic: [...nonmonotonic] };
}

export function makeEvents(n: number, keys = 10): Event[] {
  const seq = new Map<string, number>();
  return Array.from({ length: n }, (_, id) => {
    const key = `k${id % keys}`;
    const s = (seq.get(key) ?? 0) + 1;
    seq.set(key, s);
    return { id, key, seq: s };
  });
}
