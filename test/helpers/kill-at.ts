import type { ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';

/** Lines in a file (0 when it does not exist yet). */
export function countLines(path: string): number {
  try {
    const text = readFileSync(path, 'utf8');
    let n = 0;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
    return n;
  } catch {
    return 0;
  }
}

/**
 * Watches a process: SIGKILLs it once `file` holds `killAt` lines (progress, not clock), else waits for it
 * to exit. 'killed' or 'exited' (code 0); any other exit rejects, with `stderr()` when given.
 */
export function killAtLines(
  child: ChildProcess,
  file: string,
  killAt: number | undefined,
  stderr: () => string = () => '',
): Promise<'killed' | 'exited'> {
  return new Promise((resolve, reject) => {
    let killed = false;
    let lastSize = -1;
    const watch = setInterval(() => {
      if (killAt === undefined) return;
      let size = 0;
      try {
        size = statSync(file).size;
      } catch {}
      if (size === lastSize) return;
      lastSize = size;
      if (countLines(file) >= killAt) {
        killed = true;
        child.kill('SIGKILL');
      }
    }, 2);
    child.on('exit', (code, signal) => {
      clearInterval(watch);
      if (killed || signal === 'SIGKILL') resolve('killed');
      else if (code === 0) resolve('exited');
      else reject(new Error(`process exited with ${code}${stderr() ? `: ${stderr()}` : ''}`));
    });
  });
}
