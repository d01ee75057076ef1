import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that nothing listens on right now (for a proxy, or a server that is not there). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}
