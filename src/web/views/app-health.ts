import type { AppView } from '../../server/protocol.ts';

/** An app card's badge: what its components' latest statuses add up to. */
export interface AppHealth {
  label: 'failed' | 'degraded' | 'running' | 'finished' | 'stopped' | 'not running';
  tone: 'bad' | 'warn' | 'good' | 'idle';
}

/**
 * A failure or a retry among the live components first, then whether anything runs. Over, a run whose
 * sources all read their input to the end (a `--limit`, a file replayed) finished: it is not the same as
 * one stopped by Ctrl-C or killed, which a newcomer reading "stopped" after `runnel demo` took it for.
 */
export function appHealth(a: AppView): AppHealth {
  if (a.components.some((c) => !c.stale && c.state === 'failed')) return { label: 'failed', tone: 'bad' };
  if (a.components.some((c) => !c.stale && c.state === 'retrying')) return { label: 'degraded', tone: 'warn' };
  if (a.running) return { label: 'running', tone: 'good' };
  if (a.components.length === 0) return { label: 'not running', tone: 'idle' };
  const sources = a.components.filter((c) => c.component === 'source');
  const finished = sources.length > 0 && sources.every((c) => c.state === 'done');
  return { label: finished ? 'finished' : 'stopped', tone: 'idle' };
}

/**
 * The apps that get a card, and the declared ones named in one line instead: once anything has run on the
 * broker, the built-in apps that never ran there are only a hint (a user watching the pipeline of their
 * own saw five cards saying "not running" above it). On a broker where nothing ran yet, every app gets its
 * card, each saying how to start it.
 */
export function cardsAndUnrun(apps: AppView[]): { cards: AppView[]; unrun: AppView[] } {
  const ran = (a: AppView) => a.components.length > 0 || a.lastSeen !== undefined;
  if (!apps.some(ran)) return { cards: apps, unrun: [] };
  return { cards: apps.filter(ran), unrun: apps.filter((a) => !ran(a)) };
}
