import { linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** An empty lock or takeover file older than this was left by a process killed while making it. */
const ORPHAN_MS = 10_000;
const HOST = hostname();

/** Whether a process with this pid runs on this host (EPERM: it does, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function olderThan(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > ms;
  } catch {
    return false;
  }
}

/** `pid@host` as written by takeLock; a bare pid (an older runnel) is taken as this host's. */
function holderOf(lock: string): { pid: number; host: string } | undefined {
  let text: string;
  try {
    text = readFileSync(lock, 'utf8').trim();
  } catch {
    return undefined;
  }
  const [pid, host] = text.split('@');
  const n = Number(pid);
  return text === '' || !Number.isInteger(n) || n <= 0 ? undefined : { pid: n, host: host ?? HOST };
}

/**
 * Makes `path` holding `text`, unless it exists: written beside it and linked into place, so the file never
 * exists without its text (a process killed between creating it and writing its pid left an empty lock
 * that read as held for good, and a restarted worker waited forever).
 */
function create(path: string, text: string): boolean {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    try {
      unlinkSync(tmp);
    } catch {}
  }
}

/**
 * A file's writer lock across processes: `<path>.lock` holding `pid@host`, created exclusively. Returns
 * undefined once held, else the holder's pid (-1 when it cannot be told: another host, or a lock being made).
 * A lock whose process died on this host (kill -9) is taken over, so a restarted worker goes on where the
 * dead one stopped; one process at a time takes over (`<lock>.takeover`, made exclusively, and the holder
 * read again inside it), else two starting together could each remove the other's fresh lock. A lock of
 * another host (workers in containers sharing a volume) is never taken over: its pid means nothing here.
 */
export function takeLock(path: string): number | undefined {
  const lock = `${path}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (create(lock, `${process.pid}@${HOST}`)) return undefined;
    const holder = holderOf(lock);
    if (!holder) {
      // Being made by another process (its pid not written yet), or left empty by one killed meanwhile.
      if (!olderThan(lock, ORPHAN_MS)) return -1;
    } else if (holder.host !== HOST) {
      return -1;
    } else if (holder.pid !== process.pid && alive(holder.pid)) {
      return holder.pid;
    }
    if (!takeOver(lock, holder)) return -1;
  }
  return -1;
}

/** Removes `lock` if it still names `seen` (or is still an orphan), under the takeover file. */
function takeOver(lock: string, seen: { pid: number; host: string } | undefined): boolean {
  const guard = `${lock}.takeover`;
  if (!create(guard, `${process.pid}@${HOST}`)) {
    // Another process is taking over now; a guard left by one killed in between goes after a while.
    if (olderThan(guard, ORPHAN_MS)) {
      try {
        unlinkSync(guard);
      } catch {}
    }
    return false;
  }
  try {
    const now = holderOf(lock);
    const same = now === undefined ? seen === undefined : now.pid === seen?.pid && now.host === seen.host;
    if (same) {
      try {
        unlinkSync(lock);
      } catch {}
    }
    return true;
  } finally {
    try {
      unlinkSync(guard);
    } catch {}
  }
}

/** Gives the lock up, if this process holds it. */
export function releaseLock(path: string): void {
  const lock = `${path}.lock`;
  const holder = holderOf(lock);
  if (holder?.pid === process.pid && holder.host === HOST) {
    try {
      unlinkSync(lock);
    } catch {}
  }
}
