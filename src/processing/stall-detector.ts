import type { Processor, ProcessorContext } from '../core/connector.ts';
import { ErrorCodes, RunnelError } from '../core/errors.ts';
import { eventTime } from '../core/event-time.ts';
import type { StreamRecord } from '../core/record.ts';
import { lessOrClose, RollingWindow } from './rolling-window.ts';

export interface StallDetectorOptions {
  name?: string;
  input: string;
  output: string;
  /** Field holding the temperature in each record value. */
  field?: string;
  /** Readings in the rolling window (seed: SMOKER_ROLLING_WINDOW_SIZE, default 10). */
  window: number;
  /** Stall when max − min <= threshold °F over a full window (seed: SMOKER_STALL_THRESHOLD_F, 0.2). */
  threshold: number;
}

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
}

/** The reading before the current one: a replay that starts over is seen as event time going back. */
interface LastReading {
  at: number;
  timestamp: string;
  temperature: number;
}

interface State {
  values: number[];
  stalled: boolean;
  last?: LastReading;
}

/**
 * The seeds' smoker stall rule, with two fixes: the comparison forgives float noise, and an alert is an
 * event (stall started / ended) instead of one line per reading while the stall lasts.
 */
export class StallDetector implements Processor<State> {
  readonly name: string;
  readonly inputs: string[];
  readonly outputs: string[];
  readonly #o: StallDetectorOptions;
  readonly #window: RollingWindow;
  #stalled = false;
  #last: LastReading | undefined;

  constructor(o: StallDetectorOptions) {
    this.#o = o;
    this.name = o.name ?? 'stall-detector';
    this.inputs = [o.input];
    this.outputs = [o.output];
    this.#window = new RollingWindow(o.window);
  }

  process(record: StreamRecord, ctx: ProcessorContext): void {
    const field = this.#o.field ?? 'temperature';
    const value = record.value as Record<string, unknown> | null;
    const temperature = value?.[field];
    if (typeof temperature !== 'number' || !Number.isFinite(temperature)) {
      throw new RunnelError(
        ErrorCodes.SCHEMA_MISMATCH,
        `field "${field}" must be a number (got ${JSON.stringify(temperature)})`,
        {
          value: temperature,
        },
      );
    }
    // When the reading was taken: its own `timestamp`. The record's time is that only on the CSV replay; a
    // reading another client wrote onto the topic carries its write time there, so `consume` and
    // `run --csv` gave the same stall different times. Without a usable field, the record's time.
    const at = eventTime(value, 'timestamp', record.timestamp);
    const timestamp = typeof value?.timestamp === 'string' ? value.timestamp : new Date(at).toISOString();
    if (this.#last && at < this.#last.at) this.#restartSeries(record, ctx);
    this.#last = { at, timestamp, temperature };
    this.#window.push(temperature);
    const stalled = this.#window.full && lessOrClose(this.#window.max - this.#window.min, this.#o.threshold);
    if (stalled === this.#stalled) return;
    this.#stalled = stalled;
    const alert: StallAlert = {
      type: stalled ? 'stall_started' : 'stall_ended',
      timestamp,
      at,
      temperature,
      min: this.#window.min,
      max: this.#window.max,
      window: this.#o.window,
      threshold: this.#o.threshold,
    };
    ctx.emit(this.#o.output, { key: record.key, value: alert, timestamp: at });
    ctx.log.info(
      stalled
        ? `STALL DETECTED at ${alert.timestamp}: temperature stable at ${temperature}°F over the last ${this.#o.window} readings (range ${alert.min}–${alert.max})`
        : `stall ended at ${alert.timestamp}: ${temperature}°F`,
    );
  }

  /**
   * The same CSV replayed again onto the topic (the seeds' producers start over each run): the window
   * must not mix two cooks. A stall still open ends at the old series' last reading, saying why, so the
   * dashboard's banner clears; the new series starts with an empty window.
   */
  #restartSeries(record: StreamRecord, ctx: ProcessorContext): void {
    const last = this.#last!;
    if (this.#stalled) {
      const alert: StallAlert = {
        type: 'stall_ended',
        timestamp: last.timestamp,
        at: last.at,
        temperature: last.temperature,
        min: this.#window.min,
        max: this.#window.max,
        window: this.#o.window,
        threshold: this.#o.threshold,
        reason: 'replay restarted',
      };
      ctx.emit(this.#o.output, { key: record.key, value: alert, timestamp: last.at });
      ctx.log.info(`stall ended at ${last.timestamp}: the replay started over`);
    }
    this.#stalled = false;
    this.#window.restore([]);
  }

  snapshot(): State {
    return { values: this.#window.values(), stalled: this.#stalled, ...(this.#last ? { last: this.#last } : {}) };
  }

  restore(state: State): void {
    this.#window.restore(state.values);
    this.#stalled = state.stalled;
    this.#last = state.last;
  }
}
