/**
 * The alert rule contract. A rule is a pure state machine over one key's readings: the engine keeps its state
 * per key in a keyed value store, so the state must survive JSON.stringify/parse (a crash + restore).
 */

/** One moment of an episode: an ongoing condition is one episode, never one alert per reading. */
export interface AlertEvent {
  type: 'started' | 'updated' | 'ended';
  /** The rule's name. */
  rule: string;
  /** Event time (ms) of the reading that caused this event. */
  at: number;
  /** Event time of the first reading of the run that met the condition (before any `minDuration`). */
  startedAt: number;
  /** On 'ended': `at − startedAt`. */
  durationMs?: number;
  /** The reading's value. */
  value: number;
  /**
   * The most extreme value of the rule's measure during the episode so far, direction-aware: the reading for
   * threshold, the rate for rateOfChange, the signed z for zScore (largest |z|), the range for stall (smallest).
   * The reading that ends an episode is not part of it.
   */
  peak: number;
  /** Human readable, e.g. "temperature within 0.2 °F over the last 10 readings (142.0–142.2)". */
  reason: string;
  /** The values behind the verdict on this reading (e.g. min, max, range, mean, std, z, rate). */
  figures: Record<string, number>;
}

/**
 * A rule. `step` is pure: it never mutates `state` (copy-on-write), so re-running from a saved copy gives the
 * same events. Readings of one key must arrive in event-time order; see `episode.ts` for event time going back.
 */
export interface AlertRule<S> {
  readonly name: string;
  /** JSON-serialisable initial state. */
  initial(): S;
  step(state: S, value: number, at: number): { state: S; events: AlertEvent[] };
}

/**
 * What a rule concludes from one reading. `trigger`: the condition to start holds. `clear`: the condition to end
 * holds (with hysteresis it differs from `!trigger`). A reading that allows no verdict (window not yet full, no
 * spread to measure against) has both false: it neither starts, ends, nor counts towards `minDuration`.
 */
export interface Verdict {
  trigger: boolean;
  clear: boolean;
  /** The rule's measure on this reading (for the peak); absent without a verdict. */
  measure?: number;
  figures: Record<string, number>;
}
