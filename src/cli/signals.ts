import type { Logger } from '../core/log.ts';

/**
 * First SIGINT/SIGTERM: stop gracefully (finish and commit the batch in hand). Second: exit at once;
 * nothing uncommitted is lost, it is read again on the next start.
 */
export function stopOnSignals(
  controller: AbortController,
  log: Logger,
  /** For a command that only reads (tail): it stops quietly, as `tail -f` does; there is nothing to hold. */
  o: { reader?: boolean; roles?: { sources: boolean; consumers: boolean } } = {},
): () => void {
  const roles = o.roles ?? { sources: true, consumers: true };
  const stopping = stoppingWhat(roles);
  // A `produce` has no sinks to catch up: what it said of them ("not yet in every sink") was not its own.
  const left = roles.consumers
    ? 'what was produced and not yet in every sink is written by the next run (runnel verify shows how far behind)'
    : 'what is on the topics is kept; the batch the sources had in hand is not on them';
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (o.reader) {
      if (count === 1) controller.abort();
      else process.exit(130);
      return;
    }
    if (count === 1) {
      log.info(`${signal}: stopping: ${stopping} (again to force)`);
      controller.abort();
    } else {
      // Said before going: a forced stop used to end in silence, and its outputs not yet caught up (and the
      // lock files of the sinks it left) looked like damage.
      log.warn(`${signal} again: exiting now; ${left}`);
      exitBy(signal);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * What a graceful stop does, told for what this process runs: a `consume` has no sources to stop, and its
 * consumers stop at once (no source of its own produced anything they owe a catch-up); a `produce` has no
 * consumers to wait for. A `consume` that said "sources now" read as if it had stopped the producer too.
 */
function stoppingWhat(roles: { sources: boolean; consumers: boolean }): string {
  if (!roles.consumers) return 'sources now';
  if (!roles.sources) return 'processors and sinks once they have committed the batch in hand';
  return 'sources now, consumers once they hold what was produced';
}

/**
 * Ends the process as the signal itself does when nothing handles it, as a shell expects of Ctrl-C (`$?` is
 * 130 for SIGINT, 143 for SIGTERM). Not process.exit: that first stops the process's worker threads, and
 * a sink thread stopped inside a DuckDB call aborted the whole process ("terminate called after throwing
 * an instance of 'Napi::Error'", SIGABRT). Nothing is lost either way: what is not committed is read again.
 */
export function exitBy(signal: NodeJS.Signals): void {
  // With no listener left, the signal's action is the default again: the process ends at once.
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // Where a signal cannot end it so (Windows), the code a shell would show.
  process.exit(128 + (signal === 'SIGTERM' ? 15 : 2));
}
