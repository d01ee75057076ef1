import { type Seen, type SimConfig, type Status, simulate, testResult } from '../../src/apps/stopcovid/sim.ts';

/**
 * The Stop-Covid run computed the plainest way, for tests: all pairs each tick, single-threaded, every
 * tick reading the statuses of the end of the one before. Only the population's moves are shared with
 * the app (simulate), so the dataflow's partitioning, holding and feedback are what is checked.
 */
/** Brute force over all pairs: who met whom, by id, as "a-b" with a < b. */
export function allPairs(people: Seen[], radius: number): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < people.length; i++)
    for (let j = i + 1; j < people.length; j++) {
      const a = people[i]!;
      const b = people[j]!;
      const d2 = (a.x - b.x) ** 2 + (a.y - b.y) ** 2;
      if (radius === 0 ? d2 === 0 : d2 <= radius * radius) out.add(`${Math.min(a.id, b.id)}-${Math.max(a.id, b.id)}`);
    }
  return out;
}

/** The whole run, single-threaded and synchronous: each tick reads the statuses of the end of the last. */
export function reference(c: SimConfig, ticks: number) {
  const run = simulate(c);
  const status = new Map<number, Status>();
  const notifications: Array<{ id: number; tick: number; contacts: number[] }> = [];
  const interactions = new Set<string>();
  /** Who became 1 at which tick, until their test's result. */
  const since = new Map<number, number>();
  /** Per tick, as of its end: how many people had each status, the contacts (pairs) and the notifications. */
  const perTick: Array<{ tick: number; statuses: [number, number, number]; contacts: number; notifications: number }> =
    [];
  /** Where each person is at the last tick, with their phone: the people table's other columns. */
  const last = new Map<number, { phone: number; x: number; y: number }>();
  for (let tick = 0; tick < ticks; tick++) {
    const ps = run.next().value;
    if (tick === ticks - 1) for (const p of ps) last.set(p.id, { phone: p.phone, x: p.x, y: p.y });
    if (tick === 0) for (const p of ps) status.set(p.id, p.status0!);
    const seen: Seen[] = ps.map((p) => ({ id: p.id, x: p.x, y: p.y, status: status.get(p.id)! }));
    const byId = new Map(seen.map((s) => [s.id, s]));
    const pairs = allPairs(seen, c.radius);
    const blamed = new Map<number, number[]>();
    for (const pair of pairs) {
      interactions.add(`${tick}:${pair}`);
      const [a, b] = pair.split('-').map(Number) as [number, number];
      for (const [v, by] of [
        [a, b],
        [b, a],
      ] as const) {
        if (byId.get(v)!.status === 0 && byId.get(by)!.status !== 0) blamed.set(v, [...(blamed.get(v) ?? []), by]);
      }
    }
    for (const [id, by] of blamed) {
      status.set(id, 1);
      since.set(id, tick);
      notifications.push({ id, tick, contacts: by.sort((x, y) => x - y) });
    }
    // The optional test rule: `delay` ticks after becoming 1, the test's result (2, or 0 again).
    if (c.test)
      for (const [id, at] of since)
        if (at + c.test.delay === tick) {
          status.set(id, testResult(id, at, c.test.positive));
          since.delete(id);
        }
    const statuses: [number, number, number] = [0, 0, 0];
    for (const st of status.values()) statuses[st]++;
    perTick.push({ tick, statuses, contacts: pairs.size, notifications: blamed.size });
  }
  return { status, notifications, interactions, perTick, last };
}
