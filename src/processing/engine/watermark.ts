/** How a task derives its watermark from the event times it sees. */
export interface WatermarkOptions {
  /** Bounded out-of-orderness: records may arrive up to this many ms behind the newest one seen (default 0). */
  maxOutOfOrderMs?: number;
  /**
   * An input partition that delivered nothing for this long (processing time) stops holding the watermark
   * back, until it delivers again (default 30 s; Infinity = never idle).
   */
  idleTimeoutMs?: number;
}

export interface WatermarkSnapshot {
  current: number | null;
  /** Per input, its highest event time; 'end' once an upstream task ended (JSON has no Infinity). */
  inputs: Record<string, number | null | 'end'>;
  /** The input ended for good (a bounded run): the watermark is infinite. Absent before this existed. */
  ended?: true;
}

interface InputClock {
  /** Highest event time seen on this input (an upstream task's announced watermark, behind a repartition topic). */
  maxEventTime: number;
  /** When it last delivered (or was declared or restored). */
  lastActive: number;
  /** A fresh timeout from here, when later than lastActive: the input was silent only while all were (see #wake). */
  freshFrom: number;
}

/** No fresh timeout (see InputClock.freshFrom). */
const NEVER = Number.NEGATIVE_INFINITY;

/**
 * Per-input-partition watermarks, combined as the minimum over the inputs that are not idle (Flink's
 * rule). An input is a partition of a source topic, or one upstream task behind a repartition topic
 * (which announces its own watermark in marker records, see `markWatermark`). The combined watermark
 * never goes back, even when an idle input wakes up behind it: its records are then late or on time by
 * the windows' allowed lateness, never silently re-ordered.
 */
export class WatermarkTracker {
  readonly #bound: number;
  readonly #idleMs: number;
  readonly #inputs = new Map<string, InputClock>();
  #current = Number.NEGATIVE_INFINITY;
  /** When any input last delivered (or was declared or restored): see #wake. */
  #lastDelivery = Number.NEGATIVE_INFINITY;

  constructor(o: WatermarkOptions = {}) {
    this.#bound = o.maxOutOfOrderMs ?? 0;
    this.#idleMs = o.idleTimeoutMs ?? 30_000;
  }

  get current(): number {
    return this.#current;
  }

  /**
   * Declares an input before it has delivered anything, so it holds the watermark back from the start;
   * `initial`: the watermark it stands at until then (a feedback input that starts a cycle), else none.
   */
  expect(input: string, now: number, initial = Number.NEGATIVE_INFINITY): void {
    if (!this.#inputs.has(input))
      this.#inputs.set(input, { maxEventTime: initial + this.#bound, lastActive: now, freshFrom: NEVER });
    // Declared at the start: the silence is counted from here. Not later (an upstream count that changed,
    // see Task.#syncUpstreams): that is no delivery, and must not hide a silence of every input.
    if (this.#lastDelivery === NEVER) this.#lastDelivery = now;
  }

  forget(input: string): void {
    this.#inputs.delete(input);
  }

  /** A record's event time seen on `input`; returns true when the combined watermark advanced. */
  observe(input: string, eventTime: number, now: number): boolean {
    let clock = this.#inputs.get(input);
    if (!clock) {
      clock = { maxEventTime: Number.NEGATIVE_INFINITY, lastActive: now, freshFrom: NEVER };
      this.#inputs.set(input, clock);
    }
    if (now - this.#lastDelivery >= this.#idleMs) this.#wake(now);
    this.#lastDelivery = now;
    clock.lastActive = now;
    if (eventTime > clock.maxEventTime) clock.maxEventTime = eventTime;
    // One input (a task of one source partition, the common case): it alone holds the watermark, so no
    // scan over inputs and idleness is needed. With several, idleness is re-evaluated at every record.
    if (this.#inputs.size === 1) {
      const wm = clock.maxEventTime - this.#bound;
      if (wm <= this.#current) return false;
      this.#current = wm;
      return true;
    }
    return this.#recompute(now);
  }

  /** An upstream watermark (already bounded) announced on `input`: it counts as that input's progress. */
  observeWatermark(input: string, watermark: number, now: number): boolean {
    // An upstream task's end comes as the largest watermark a marker carries (JSON has no Infinity).
    if (watermark >= Number.MAX_SAFE_INTEGER) return this.observe(input, Number.POSITIVE_INFINITY, now);
    return this.observe(input, watermark + this.#bound, now);
  }

  /** Re-evaluates idleness as processing time passes with no records; true when the watermark advanced. */
  tick(now: number): boolean {
    return this.#recompute(now);
  }

  /** Everything has been read (bounded input, drained): every window may close. */
  end(): boolean {
    if (this.#current === Number.POSITIVE_INFINITY) return false;
    this.#current = Number.POSITIVE_INFINITY;
    return true;
  }

  /** The input ended for good: `end`, or the end of every upstream task (see observeWatermark). */
  get ended(): boolean {
    return this.#current === Number.POSITIVE_INFINITY;
  }

  /** What a restart needs to carry on where the last commit left off (JSON; -Infinity as null). */
  snapshot(): WatermarkSnapshot {
    const fin = (n: number) => (Number.isFinite(n) ? n : null);
    const inputs: Record<string, number | null | 'end'> = {};
    // An input's end (an upstream task that ended) is kept as such: restored as -Infinity it would hold
    // the watermark back until it went idle, or for ever with no idle timeout.
    for (const [k, c] of this.#inputs)
      inputs[k] = c.maxEventTime === Number.POSITIVE_INFINITY ? 'end' : fin(c.maxEventTime);
    return this.ended ? { current: null, inputs, ended: true } : { current: fin(this.#current), inputs };
  }

  /**
   * Carries on from a committed snapshot: without it a restarted task would start at -Infinity and
   * reopen windows that had closed and emitted before the crash.
   */
  restore(snap: WatermarkSnapshot, now: number): void {
    for (const [k, v] of Object.entries(snap.inputs)) {
      const maxEventTime = v === 'end' ? Number.POSITIVE_INFINITY : (v ?? Number.NEGATIVE_INFINITY);
      this.#inputs.set(k, { maxEventTime, lastActive: now, freshFrom: NEVER });
    }
    if (now > this.#lastDelivery) this.#lastDelivery = now;
    // An ended input stays ended: its windows all closed and emitted, and one reopened would emit again.
    if (snap.ended) this.#current = Number.POSITIVE_INFINITY;
    else if (snap.current !== null) this.#current = snap.current;
  }

  /**
   * Every input was silent for the idle timeout, and one delivers again: the silence was the task's or the
   * whole input's (a pause, a stalled process, a rebalance, a killed producer's open transaction holding
   * every partition of a topic back), not that input's alone. Each input gets a fresh timeout: else the
   * first one to deliver would set the watermark alone, and the others' records, on time a moment before,
   * would be late (seen on Kafka: a restarted worker put ~500 of 1,639 windows in .late).
   *
   * Only an input that was active when the silence began gets one, and a fresh timeout is no delivery: an
   * input already idle stays idle until it delivers (Flink's rule), and one that says nothing through its
   * fresh timeout is not given another at the next silence. Else an input that never delivers (a partition
   * no key lands on, an upstream task with no input) would be woken by every record of a source sparser
   * than the timeout, hold the watermark for the whole timeout, and go idle only when every input is, which
   * holds it (all idle): the watermark would never move again.
   */
  #wake(now: number): void {
    for (const c of this.#inputs.values()) if (this.#lastDelivery - c.lastActive < this.#idleMs) c.freshFrom = now;
  }

  #recompute(now: number): boolean {
    if (this.#inputs.size === 0) return false;
    let min = Number.POSITIVE_INFINITY;
    let active = 0;
    let open = 0;
    for (const c of this.#inputs.values()) {
      // An ended input holds nothing back, and does not move the watermark on by itself either: only the
      // end of every input ends this one (an idle input may still deliver).
      if (c.maxEventTime === Number.POSITIVE_INFINITY) continue;
      open++;
      if (now - Math.max(c.freshFrom, c.lastActive) >= this.#idleMs) continue;
      active++;
      if (c.maxEventTime < min) min = c.maxEventTime;
    }
    if (open > 0 && active === 0) return false; // all idle: hold (Flink's rule), never jump to the newest input's time
    const wm = min - this.#bound;
    if (wm <= this.#current) return false;
    this.#current = wm;
    return true;
  }
}
