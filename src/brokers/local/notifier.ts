import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Wakes waiting consumers when records arrive, without busy-spinning. In-process producers signal
 * directly; other processes are noticed through inotify on the SQLite WAL file, which every commit
 * writes. A slow timer is the safety net for file systems where fs.watch says nothing.
 */
export class Notifier {
  #waiters = new Set<() => void>();
  #watcher: FSWatcher | undefined;
  #users = 0;
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  acquire(): void {
    if (this.#users++ > 0 || this.#path === ':memory:') return;
    const name = basename(this.#path);
    try {
      this.#watcher = watch(dirname(this.#path), { persistent: false }, (_event, file) => {
        if (file === null || String(file).startsWith(name)) this.notify();
      });
      this.#watcher.on('error', () => {
        this.#watcher = undefined;
      });
    } catch {
      this.#watcher = undefined;
    }
  }

  release(): void {
    if (--this.#users > 0) return;
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  notify(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w();
  }

  /** Resolves on the next notification, after `ms`, or on abort — whichever comes first. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(ms, 250));
      this.#waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

const notifiers = new Map<string, Notifier>();

export function notifierFor(path: string): Notifier {
  let n = notifiers.get(path);
  if (!n) {
    n = new Notifier(path);
    notifiers.set(path, n);
  }
  return n;
}
