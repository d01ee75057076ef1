export const STATUS_TOPIC = '_runnel.status';
/** Status records are only interesting while fresh; an hour is plenty for a dashboard opened late. */
export const STATUS_RETENTION_MS = 3600_000;

export type ComponentKind = 'source' | 'processor' | 'sink';
export type ComponentState = 'starting' | 'ok' | 'retrying' | 'stopped' | 'failed' | 'done';

/** What every running component reports, in-process (events) and on `_runnel.status` (other processes). */
export interface ComponentStatus {
  app: string;
  /** A process-unique id of the running pipeline. */
  pipeline: string;
  pid: number;
  /** The machine it runs on (os.hostname()): a pid means something only there. */
  host?: string;
  component: ComponentKind;
  name: string;
  topics: string[];
  state: ComponentState;
  lastError?: string;
  /** Records handled so far (produced by a source, consumed by a processor or sink). */
  records: number;
  /** Records sent to a dead-letter topic. */
  dlq: number;
  /** Stateful processors: the lowest watermark of its tasks (event time, ms), when it has one. */
  watermark?: number;
  /** Stateful processors: records that arrived after their window closed (sent to `<topic>.late`). */
  late?: number;
  /** Stateful processors: stream records an inner join dropped, their key holding no table value. */
  unjoined?: number;
  /** Stateful processors: the input partitions this process runs tasks for. */
  partitions?: number[];
  /** Stateful processors: every task here had its input ended for good (a bounded run): no window is open. */
  inputEnded?: boolean;
  /** Sources that pace (see Source.pacing): whether a control command paused it, and its speed now. */
  paused?: boolean;
  speed?: number;
  /** What `speed` means: times event time (`event-time`) or a factor on the configured rate (`rate`). */
  pacing?: 'event-time' | 'rate';
  /** Rate pacing: the configured records/s that `speed` multiplies. */
  rate?: number;
  /** Where it writes, for sinks. */
  target?: string;
  ts: number;
}

/** A component whose run is over: stopped, finished or failed (the server and the page both ask it). */
export const ended = (state: ComponentState): boolean => state === 'stopped' || state === 'done' || state === 'failed';

/**
 * A source the dashboard may offer replay controls for: one that paces (it reports a speed) and is still
 * running. Plain data, no imports: the server and the page both ask it.
 */
export function canControl(s: ComponentStatus, stale: boolean): boolean {
  return s.component === 'source' && s.speed !== undefined && !stale && !ended(s.state);
}

/** A status record's value, if it is one: the status topic is a topic like any other, anyone can write it. */
export function statusOf(r: { value: unknown }): ComponentStatus | undefined {
  const s = r.value as ComponentStatus | null;
  if (!s || typeof s !== 'object' || typeof s.app !== 'string' || typeof s.name !== 'string') return undefined;
  return s;
}
