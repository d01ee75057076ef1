/** What a replay's controls hold: paused, and how fast. */
export interface ReplayState {
  paused: boolean;
  /** Event-time pacing: times faster than it happened. Rate pacing: a factor on the configured rate. */
  speed: number;
}

/** How a source paces, so the runtime knows it can be controlled and what speed it starts at. */
export type Pacing = { by: 'event-time'; speed: number } | { by: 'rate'; rate: number };

export const MAX_SPEED = 1_000_000;

/** The speed a replay starts at: its own for event time, ×1 of the configured rate otherwise. */
export function initialSpeed(p: Pacing): number {
  return p.by === 'event-time' ? p.speed : 1;
}

/**
 * The knobs of a source that replays on a schedule (by event time × speed, or at a rate). The runtime
 * makes one per pacing source and changes it when a control command arrives. It also keeps the replay's
 * clock: `position()` is how far the replay has advanced (ms of schedule), growing at `speed` ms per wall
 * ms and standing still while paused. A pacer waits for a position, not a wall time, so a pause resumes
 * at the same place (no burst to catch up) and a new speed applies from the moment it is set; every change
 * wakes the waiters, so it takes effect at once even in the middle of a long wait.
 */
export class ReplayControl {
  #state: ReplayState;
  #anchorWall: number;
  #anchorPos = 0;
  readonly #now: () => number;
  readonly #waiters = new Set<() => void>();
  readonly #listeners = new Set<(s: ReplayState) => void>();

  constructor(initial: Partial<ReplayState> = {}, now: () => number = () => performance.now()) {
    this.#state = { paused: initial.paused ?? false, speed: initial.speed ?? 1 };
    this.#now = now;
    this.#anchorWall = now();
  }

  get paused(): boolean {
    return this.#state.paused;
  }

  get speed(): number {
    return this.#state.speed;
  }

  state(): ReplayState {
    return { ...this.#state };
  }

  /** Schedule ms advanced since this control was made. */
  position(): number {
    if (this.#state.paused) return this.#anchorPos;
    return this.#anchorPos + (this.#now() - this.#anchorWall) * this.#state.speed;
  }

  pause(): void {
    this.#set({ paused: true });
  }

  resume(): void {
    this.#set({ paused: false });
  }

  /** Ignores what is not a usable speed (the command was validated where it came in; this is the last guard). */
  setSpeed(speed: number): void {
    if (Number.isFinite(speed) && speed > 0 && speed <= MAX_SPEED) this.#set({ speed });
  }

  /** Called after every change (the runtime copies the state into the source's status). */
  onChange(fn: (s: ReplayState) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Resolves at the next change, or at once when `signal` aborts (Ctrl-C must stop a paused source). */
  changed(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  #set(change: Partial<ReplayState>): void {
    const next = { ...this.#state, ...change };
    if (next.paused === this.#state.paused && next.speed === this.#state.speed) return;
    // Close the clock's segment at the old speed before the new one starts.
    this.#anchorPos = this.position();
    this.#anchorWall = this.#now();
    this.#state = next;
    for (const fn of this.#listeners) fn({ ...next });
    for (const w of [...this.#waiters]) w();
  }
}
