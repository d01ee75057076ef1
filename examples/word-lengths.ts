/**
 * A pipeline of your own: `npx runnel run examples/word-lengths.ts --limit 2000 --rate 0`.
 * Reads generated buzz messages, keys them by author, and keeps per-author message counts and mean
 * lengths as keyed state, written to `word-lengths.by-author` and the sinks.
 */
import { defineApp, source, valueStore, z } from 'runnel';

const Message = z.object({ message: z.string(), author: z.string() });

export default defineApp({
  name: 'word-lengths',
  partitions: 2,
  sources: (o) => [{ topic: 'wl.messages', source: source('generator', { rate: o.rate ?? 10, seed: o.seed ?? 1 }) }],
  pipeline(t) {
    t.stream('wl.messages', { schema: Message })
      .keyBy((m) => m.author)
      .process({ name: 'per-author', stores: { acc: valueStore<{ n: number; chars: number }>() } }, (m, ctx) => {
        const acc = ctx.stores.acc.get() ?? { n: 0, chars: 0 };
        const next = { n: acc.n + 1, chars: acc.chars + m.message.length };
        ctx.stores.acc.set(next);
        ctx.emit({ author: ctx.key, messages: next.n, meanLength: next.chars / next.n });
      })
      .to('word-lengths.by-author');
  },
  sinks: [{ topic: 'word-lengths.by-author', kinds: ['jsonl'] }],
});
