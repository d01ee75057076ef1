import { hostname } from 'node:os';
import type { ComponentState, ComponentStatus } from './status.ts';

// Apart from status.ts because the dashboard's browser bundle reads status.ts (canControl, ended) and
// must not pull in node:os.
export class StatusCell {
  readonly status: ComponentStatus;

  constructor(init: Omit<ComponentStatus, 'state' | 'records' | 'dlq' | 'ts'>) {
    this.status = { host: hostname(), ...init, state: 'starting', records: 0, dlq: 0, ts: Date.now() };
  }

  set(state: ComponentState, lastError?: string): void {
    this.status.state = state;
    if (lastError !== undefined) this.status.lastError = lastError;
    else if (state === 'ok') delete this.status.lastError;
    this.status.ts = Date.now();
  }
}
