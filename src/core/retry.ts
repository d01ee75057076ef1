import { backoffMs, sleep } from './backoff.ts';
import { ErrorCodes, formatError, isPermanent, RunnelError, toRunnelError } from './errors.ts';
import type { Logger } from './log.ts';
import type { StatusCell } from './status-cell.ts';

export interface RetryOptions {
  signal: AbortSignal;
  log: Logger;
  status?: StatusCell;
  /**
   * Retry every error that is not permanent, not only retriable ones: a sink must never stop the pipeline
   * for a failure that may pass (an unknown driver error). A permanent one (see isPermanent) still stops it.
   */
  always?: boolean;
  /**
   * When the caller stops, stop waiting for a call that does not answer (see untilStopped): for calls whose
   * answer a stopping caller can do without (a drain's targets, a commit Kafka aborts if it never lands, a
   * source's produce the next run makes again). Not for calls that must settle before their client closes
   * (a poll with a group join in flight: let go, its heartbeats kept the process alive).
   */
  letGoOnStop?: boolean;
}

/**
 * Runs `fn` until it succeeds, backing off between tries and reporting `retrying` with the last error.
 * Gives up when the error is permanent (a folder replaced by a file mid-run: retrying forever would only
 * hide it), when it is not retriable (unless `always`), or when the pipeline is stopping; the caller then
 * has not committed anything, so nothing accepted is lost.
 */
export async function retrying<T>(what: string, fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const out = await (o.letGoOnStop ? untilStopped(fn(), o.signal) : fn());
      if (attempt > 0) {
        o.log.info(`${what}: recovered after ${attempt} ${attempt === 1 ? 'retry' : 'retries'}`);
        o.status?.set('ok');
      }
      return out;
    } catch (err) {
      const e = toRunnelError(err);
      if ((!e.retriable && !o.always) || isPermanent(err) || o.signal.aborted) throw e;
      const line = formatError(e);
      if (o.status?.status.lastError !== line || attempt === 0) o.log.warn(`${what}: ${line} (retrying)`);
      o.status?.set('retrying', line);
      await sleep(backoffMs(attempt), o.signal);
      if (o.signal.aborted) throw e;
    }
  }
}

/**
 * `pending`, or its caller's stop, whichever comes first: a try that hangs on a broker that went away (a
 * Kafka client waits out its own timeouts, 30 s and more) held Ctrl-C for as long, and then failed the stopped
 * run with that broker's error. Stopped first, it rejects with the stop (see stoppedError); what `pending` does
 * later is let go.
 */
function untilStopped<T>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return pending;
  return new Promise<T>((resolve, reject) => {
    let cut: NodeJS.Timeout | undefined;
    // A call that heeds the stop itself (a poll given the signal returns what it has) settles at once and
    // is waited for: its caller may still act on the answer (a task runner's last report). One that does not
    // is let go after a moment.
    const onAbort = () => {
      cut = setTimeout(() => {
        pending.catch(() => {});
        reject(stoppedError());
      }, STOP_CUT_MS);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(cut);
    };
    pending.then(
      (v) => {
        done();
        resolve(v);
      },
      (err: unknown) => {
        done();
        reject(err);
      },
    );
  });
}

/** How long a retried call may go on after its caller stopped (see untilStopped). */
const STOP_CUT_MS = 1000;

/** What a retried call answers when its caller stopped before it did (a retriable broker error: nothing of it was done). */
export const stoppedError = (): RunnelError =>
  new RunnelError(ErrorCodes.BROKER_UNAVAILABLE, 'stopped while waiting for an answer', { retriable: true });
