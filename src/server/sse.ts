import type { ServerResponse } from 'node:http';

/** A browser this far behind (a stalled tab) is dropped; EventSource reconnects and gets a fresh snapshot. */
const MAX_BUFFERED = 4 * 1024 * 1024;

/** One Server-Sent Events stream. Headers are written here because a hijacked reply skips Fastify's hooks. */
export class SseClient {
  readonly #res: ServerResponse;
  #closed = false;
  readonly #onClose = new Set<() => void>();

  constructor(res: ServerResponse, headers: Record<string, string>) {
    this.#res = res;
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // A short retry: after a server restart the page is live again within a couple of seconds.
    res.write('retry: 1500\n\n');
    res.on('close', () => this.close());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs `fn` when the stream ends (at once if it already has, e.g. the tab left while we loaded). */
  onClose(fn: () => void): void {
    if (this.#closed) fn();
    else this.#onClose.add(fn);
  }

  send(event: string, data: unknown): void {
    if (this.#closed) return;
    if (this.#res.writableLength > MAX_BUFFERED) {
      this.close();
      return;
    }
    this.#res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  ping(): void {
    if (!this.#closed) this.#res.write(': ping\n\n');
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#res.writableEnded) this.#res.end();
    for (const fn of this.#onClose) fn();
  }
}
