import type { Source, SourceContext, SourceItem } from '../../../core/connector.ts';
import type { Pacing } from '../../../core/replay-control.ts';
import { batchSizeFor, mulberry32, pacerFor } from '../pacing.ts';
import { AUTHORS, buzzMessage } from './buzz-message.ts';
import type { GeneratorConfig } from './spec.ts';

/** Buzz messages at `rate` per second (0 = flat out), keyed by author so each author's order holds. */
export class GeneratorSource implements Source {
  readonly name = 'generator';
  /** Each record's value is built for it alone (see Source.handsOver). */
  readonly handsOver = true;
  readonly #c: GeneratorConfig;

  constructor(config: GeneratorConfig) {
    this.#c = config;
  }

  expectedCount(): number | undefined {
    return this.#c.count;
  }

  pacing(): Pacing | undefined {
    return this.#c.rate > 0 ? { by: 'rate', rate: this.#c.rate } : undefined;
  }

  async *read(ctx: SourceContext): AsyncIterable<SourceItem[]> {
    const rand = mulberry32(this.#c.seed ?? Math.floor(Math.random() * 2 ** 31));
    const authors = this.#c.authors ?? AUTHORS;
    const { rate } = this.#c;
    const size = batchSizeFor(rate);
    const pacer = pacerFor(ctx, { by: 'rate', rate });
    for (let seq = 0; !ctx.signal.aborted; ) {
      if (this.#c.count !== undefined && seq >= this.#c.count) return;
      const n = this.#c.count === undefined ? size : Math.min(size, this.#c.count - seq);
      if (rate > 0) await pacer.waitFor((seq / rate) * 1000, ctx.signal);
      if (ctx.signal.aborted) return;
      const now = Date.now();
      const batch: SourceItem[] = new Array(n);
      for (let i = 0; i < n; i++, seq++) {
        const value = buzzMessage(rand, authors, now);
        batch[i] = {
          kind: 'record',
          record: { key: value.author, value, timestamp: now, headers: { seq: String(seq) } },
        };
      }
      yield batch;
    }
  }
}
