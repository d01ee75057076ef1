/**
 * The processes that run `app` on this broker now (asked before this one starts its own pipeline). A
 * second `run buzz` beside the demo joins its consumer groups (a scale-out: partitions, state and positions
 * are shared) and its sinks read every record on the topics, the demo's too. That is right for scaling out and baffling by accident, so the
 * CLI says so in one line. Read from the status topic every running pipeline publishes to (about once a
 * second), so it works the same on every broker.
 */
import { hostname } from 'node:os';
import type { Broker } from '../core/broker.ts';
import { type ComponentKind, type ComponentStatus, ended, STATUS_TOPIC, statusOf } from '../core/status.ts';

/** How recent a status must be to count as a process running now (statuses come about once a second). */
const LIVE_MS = 5000;
/** The newest status records looked at per partition: every component of every running app, a few times. */
const TAIL = 500;

/**
 * `kinds`: only processes running these components (a `produce` runs sources only, a `consume` processors
 * and sinks); default any.
 */
export async function otherRunningPids(
  broker: Broker,
  app: string,
  now = Date.now(),
  kinds?: ComponentKind[],
): Promise<number[]> {
  const info = await broker.describeTopic(STATUS_TOPIC).catch(() => undefined);
  const pids = new Set<number>();
  for (const p of info?.partitions ?? []) {
    const from = Math.max(p.startOffset, p.endOffset - TAIL);
    if (from >= p.endOffset) continue;
    const records = await broker.read(STATUS_TOPIC, p.partition, from, p.endOffset - from).catch(() => []);
    // The newest status of each pipeline: one that stopped since says so in its last record.
    const latest = new Map<string, ComponentStatus>();
    for (const r of records) {
      const s = statusOf(r);
      if (s?.app !== app || typeof s.pid !== 'number' || (kinds && !kinds.includes(s.component))) continue;
      latest.set(`${s.pipeline}/${s.component}/${s.name}`, s);
    }
    for (const s of latest.values()) {
      if (now - s.ts < LIVE_MS && !ended(s.state) && !goneHere(s)) pids.add(s.pid);
    }
  }
  return [...pids].sort((a, b) => a - b);
}

/**
 * A process of this machine that is gone: its last statuses are still fresh for a few seconds after a kill -9,
 * and the next run was told it joined that process as a scale-out.
 */
function goneHere(s: ComponentStatus): boolean {
  if (s.host !== hostname()) return false;
  try {
    process.kill(s.pid, 0);
    return false;
  } catch (err) {
    // EPERM: alive, another user's.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
