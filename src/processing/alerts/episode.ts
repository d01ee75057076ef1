import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import { close, fmt } from './compare.ts';
import { formatDuration } from './duration.ts';
import { type ResolvedSpan, resolveSpan, type Span } from './span.ts';
import type { AlertEvent, AlertRule, Verdict } from './types.ts';

/**
 * The episode machine every rule shares: idle → pending (the condition holds, `minDuration` not yet met) →
 * active (`started` sent) → idle (`ended` sent). A rule only says, per reading, whether its condition to start
 * (`trigger`) and its condition to end (`clear`) hold; hysteresis lives in the rule as a `clear` that is not
 * `!trigger`, and `minDuration` lives here.
 */

/** Options every rule takes. */
export interface CommonOptions {
  /** The rule's name in its events; defaults to the rule kind. */
  name?: string;
  /** What is measured, for reasons: 'temperature'. Default 'value'. */
  label?: string;
  /** Unit for reasons: '°F'. */
  unit?: string;
  /** Decimals of values in reasons. Default 1. */
  decimals?: number;
  /**
   * Anti-flapping: the start condition must hold this long before `started` — a number of consecutive readings,
   * or a span of event time ('5m': from the run's first reading to the confirming one). Default: at once.
   */
  minDuration?: Span;
  /** `updated` events: 'none' (default), 'peak' (when the peak becomes more extreme), or every N readings. */
  updates?: 'none' | 'peak' | number;
}

/** Which way a measure is extreme: 'abs' keeps the signed value of largest magnitude. */
export type Direction = 'up' | 'down' | 'abs';

/**
 * Whether `candidate` beats `peak`. Float noise is no change: ranges 100.4 − 100.3 and 100.5 − 100.4 differ in
 * the 14th digit, and a peak "moving" by that would send `updated` events for nothing.
 */
export function moreExtreme(direction: Direction, candidate: number, peak: number): boolean {
  const c = direction === 'abs' ? Math.abs(candidate) : candidate;
  const p = direction === 'abs' ? Math.abs(peak) : peak;
  return (direction === 'down' ? c < p : c > p) && !close(c, p);
}

export interface EpisodeState {
  phase: 'idle' | 'pending' | 'active';
  /** Event time of the run's first reading (pending and active). */
  since: number;
  /** Readings in the run while pending. */
  count: number;
  peak: number | null;
  /** Readings since `started`, for `updates: N`. */
  readings: number;
}

const IDLE: EpisodeState = { phase: 'idle', since: 0, count: 0, peak: null, readings: 0 };

export interface EpisodeConfig {
  direction: Direction;
  minDuration: ResolvedSpan;
  updates: 'none' | 'peak' | number;
}

export interface EpisodeStep {
  state: EpisodeState;
  event?: { type: AlertEvent['type']; startedAt: number; peak: number; durationMs?: number };
}

/** One reading through the machine. Pure. */
export function stepEpisode(cfg: EpisodeConfig, s: EpisodeState, v: Verdict, at: number): EpisodeStep {
  const merge = (peak: number | null): number | null =>
    v.measure === undefined ? peak : peak === null || moreExtreme(cfg.direction, v.measure, peak) ? v.measure : peak;
  if (s.phase === 'active') {
    const peak = s.peak ?? v.measure ?? 0;
    if (v.clear) {
      return { state: IDLE, event: { type: 'ended', startedAt: s.since, peak, durationMs: at - s.since } };
    }
    const next: EpisodeState = { ...s, peak: merge(s.peak), readings: s.readings + 1 };
    const due =
      (cfg.updates === 'peak' && next.peak !== s.peak) ||
      (typeof cfg.updates === 'number' && next.readings % cfg.updates === 0);
    return due
      ? { state: next, event: { type: 'updated', startedAt: s.since, peak: next.peak ?? peak } }
      : { state: next };
  }
  if (!v.trigger) return { state: IDLE };
  const since = s.phase === 'pending' ? s.since : at;
  const count = s.phase === 'pending' ? s.count + 1 : 1;
  const peak = merge(s.phase === 'pending' ? s.peak : null);
  const met = 'readings' in cfg.minDuration ? count >= cfg.minDuration.readings : at - since >= cfg.minDuration.ms;
  if (!met) return { state: { phase: 'pending', since, count, peak, readings: 0 } };
  return {
    state: { phase: 'active', since, count, peak, readings: 0 },
    event: { type: 'started', startedAt: since, peak: peak ?? 0 },
  };
}

export interface DescribeContext {
  verdict: Verdict;
  value: number;
  peak: number;
  durationMs?: number;
}

/** What one rule kind adds to the machine: its window state and its verdict per reading. */
export interface RuleSpec<W> {
  kind: string;
  direction: Direction;
  initialWindow(): W;
  /** Pure: returns a new window, never changes `w`. */
  observe(w: W, value: number, at: number): { w: W; verdict: Verdict };
  describe(type: AlertEvent['type'], c: DescribeContext): string;
}

export interface RuleState<W> {
  w: W;
  ep: EpisodeState;
  last: { at: number; value: number } | null;
}

/**
 * A rule from its spec. Event time going back (a replay that starts over, as the seeds' producers do) starts a
 * new series: an open episode ends at the old series' last reading, saying so, and the window starts empty —
 * so two runs never mix in one window. Out-of-order input must be ordered before it reaches a rule.
 */
export function makeRule<W>(o: CommonOptions, spec: RuleSpec<W>): AlertRule<RuleState<W>> {
  const name = o.name ?? spec.kind;
  const cfg: EpisodeConfig = {
    direction: spec.direction,
    minDuration: o.minDuration === undefined ? { readings: 1 } : resolveSpan('minDuration', o.minDuration),
    updates: o.updates ?? 'none',
  };
  if (typeof cfg.updates === 'number' && !(Number.isInteger(cfg.updates) && cfg.updates >= 1)) {
    throw configError('updates', "must be 'none', 'peak' or a whole number of readings >= 1", cfg.updates);
  }
  const initial = (): RuleState<W> => ({ w: spec.initialWindow(), ep: IDLE, last: null });
  return {
    name,
    initial,
    step(state, value, at) {
      if (!Number.isFinite(value)) {
        throw new RunnelError(ErrorCodes.SCHEMA_MISMATCH, `${name}: the reading must be a finite number`, { value });
      }
      if (!Number.isFinite(at)) {
        throw new RunnelError(ErrorCodes.SCHEMA_MISMATCH, `${name}: the event time must be a finite number`, {
          value: at,
        });
      }
      const events: AlertEvent[] = [];
      let s = state;
      if (s.last && at < s.last.at) {
        if (s.ep.phase === 'active') {
          const { at: lastAt, value: lastValue } = s.last;
          events.push({
            type: 'ended',
            rule: name,
            at: lastAt,
            startedAt: s.ep.since,
            durationMs: lastAt - s.ep.since,
            value: lastValue,
            peak: s.ep.peak ?? lastValue,
            reason: `series restarted: event time went back from ${new Date(lastAt).toISOString()} to ${new Date(at).toISOString()}`,
            figures: {},
          });
        }
        s = initial();
      }
      const { w, verdict } = spec.observe(s.w, value, at);
      const { state: ep, event } = stepEpisode(cfg, s.ep, verdict, at);
      if (event) {
        // An every-N update may fall on a reading without a verdict (no spread, same timestamp): nothing to
        // describe but that the episode goes on.
        const reason =
          verdict.measure === undefined
            ? `${name} still ongoing (no verdict on this reading)`
            : spec.describe(event.type, { verdict, value, peak: event.peak, durationMs: event.durationMs });
        events.push({
          type: event.type,
          rule: name,
          at,
          startedAt: event.startedAt,
          ...(event.durationMs === undefined ? {} : { durationMs: event.durationMs }),
          value,
          peak: event.peak,
          reason,
          figures: verdict.figures,
        });
      }
      return { state: { w, ep, last: { at, value } }, events };
    },
  };
}

export function configError(option: string, message: string, value: unknown): RunnelError {
  return new RunnelError(ErrorCodes.CONFIG_INVALID, `alert rule option ${option} ${message}`, { value });
}

/** Formats values for reasons the same way in every rule. */
export function formatter(o: CommonOptions): { label: string; num: (x: number) => string; qty: (x: number) => string } {
  const decimals = o.decimals ?? 1;
  const num = (x: number) => fmt(x, decimals);
  return { label: o.label ?? 'value', num, qty: (x) => (o.unit ? `${num(x)} ${o.unit}` : num(x)) };
}

/** " after 1m 30s", for ended reasons. */
export function after(durationMs: number | undefined): string {
  return durationMs === undefined ? '' : ` after ${formatDuration(durationMs)}`;
}
