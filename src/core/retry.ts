import { backoffMs, sleep } from './backoff.ts';
import { formatError, isPermanent, toRunnelError } from './errors.ts';
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
      const out = await fn();
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
