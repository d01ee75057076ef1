/** A Server-Sent Events reader on fetch (Node has no EventSource by default), for testing the streams. */
export interface SseEvent {
  event: string;
  data: unknown;
  bytes: number;
}

export class SseStream {
  readonly events: SseEvent[] = [];
  bytes = 0;
  status = 0;
  readonly #controller = new AbortController();
  readonly #waiters = new Set<() => void>();
  readonly done: Promise<void>;

  constructor(url: string) {
    this.done = this.#run(url).catch(() => {});
  }

  async #run(url: string): Promise<void> {
    const res = await fetch(url, { signal: this.#controller.signal });
    this.status = res.status;
    this.#wake();
    if (!res.ok || !res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      this.bytes += Buffer.byteLength(value);
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length > 0) this.events.push({ event, data: JSON.parse(data.join('\n')), bytes: block.length });
      }
      this.#wake();
    }
  }

  #wake(): void {
    for (const w of this.#waiters) w();
  }

  /** Resolves with the first event (from `from` on) matching `pred`; rejects after `timeoutMs`. */
  async waitFor(pred: (e: SseEvent) => boolean, timeoutMs = 10_000, from = 0): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find(pred);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching event within ${timeoutMs} ms (got ${this.events.map((e) => e.event).join(',')})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.add(() => {
          clearTimeout(t);
          resolve();
        });
      });
      this.#waiters.clear();
    }
  }

  async opened(): Promise<number> {
    while (this.status === 0) await new Promise((r) => setTimeout(r, 10));
    return this.status;
  }

  close(): void {
    this.#controller.abort();
  }
}
