import type { alerts, ProcessContext, ValueStoreSpec } from '../../index.ts';

/** An alert on `smoker.alerts`, as the tables and the dashboard read it. */
export interface StallAlert {
  type: 'stall_started' | 'stall_ended';
  /** The reading's own timestamp string, as in the CSV. */
  timestamp: string;
  /** Event time in ms: the reading's `timestamp` parsed, whichever way the reading reached the topic. */
  at: number;
  temperature: number;
  min: number;
  max: number;
  window: number;
  threshold: number;
  /** Why a stall ended other than by the temperature moving: 'replay restarted'. */
  reason?: string;
  /**
   * Where the reading sits on the input topic. A replay restarted onto the same topic repeats the same
   * event times, so time alone cannot tell which replay a stall belongs to; the position can (the dashboard
   * draws only the current replay's stalls).
   */
  reading: { partition: number; offset: number };
}

/** The reading before the current one: where an episode cut short by a restarted replay ends. */
interface LastReading {
  at: number;
  timestamp: string;
  temperature: number;
  partition: number;
  offset: number;
}

type Rule = ReturnType<typeof alerts.stall>;

/** What the step keeps per smoker in its value store: the rule's own state and the last reading. */
export interface StallState {
  rule: ReturnType<Rule['initial']>;
  last?: LastReading;
}

type Ctx = ProcessContext<StallAlert, { stall: ValueStoreSpec<StallState> }>;

/**
 * The seeds' smoker stall rule as an engine step: the `alerts.stall` rule over a count window decides, and
 * its episode becomes the app's `stall_started` / `stall_ended` records (one event per episode edge, not a
 * line per reading). Event time going back is the same CSV replayed again onto the topic (the seeds'
 * producers start over each run): an open stall ends at the old series' last reading, saying why, so the
 * dashboard's banner clears, and the new series starts with an empty window.
 */
export function stallStep(
  rule: Rule,
  o: { window: number; threshold: number },
  reading: { temperature: number; timestamp: string },
  ctx: Ctx,
): void {
  const prev = ctx.stores.stall.get() ?? { rule: rule.initial() };
  const at = ctx.timestamp;
  const { temperature, timestamp } = reading;
  const here: LastReading = { at, timestamp, temperature, ...ctx.origin };
  const restarted = prev.last !== undefined && at < prev.last.at && prev.rule.ep.phase === 'active';
  const { state, events } = rule.step(prev.rule, temperature, at);
  events.forEach((e, i) => {
    if (e.type === 'updated') return;
    const type = e.type === 'started' ? 'stall_started' : 'stall_ended';
    if (restarted && i === 0 && e.type === 'ended') {
      // The rule ended the old series' episode: it belongs to that series' last reading and window.
      const last = prev.last!;
      const values = prev.rule.w.map(([, v]) => v);
      const alert: StallAlert = {
        type,
        timestamp: last.timestamp,
        at: last.at,
        temperature: last.temperature,
        min: Math.min(...values),
        max: Math.max(...values),
        window: o.window,
        threshold: o.threshold,
        reason: 'replay restarted',
        reading: { partition: last.partition, offset: last.offset },
      };
      ctx.emit(alert, { timestamp: last.at });
      ctx.log.info(`stall ended at ${last.timestamp}: the replay started over`);
      return;
    }
    const alert: StallAlert = {
      type,
      timestamp,
      at,
      temperature,
      min: e.figures.min ?? temperature,
      max: e.figures.max ?? temperature,
      window: o.window,
      threshold: o.threshold,
      reading: { partition: here.partition, offset: here.offset },
    };
    ctx.emit(alert, { timestamp: at });
    ctx.log.info(
      type === 'stall_started'
        ? `STALL DETECTED at ${timestamp}: temperature stable at ${temperature}°F over the last ${o.window} readings (range ${alert.min}–${alert.max})`
        : `stall ended at ${timestamp}: ${temperature}°F`,
    );
  });
  ctx.stores.stall.set({ rule: state, last: here });
}
