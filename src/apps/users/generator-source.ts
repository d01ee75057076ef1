import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type Pacing, paced, type Source, type SourceContext, type SourceItem } from '../../index.ts';
import { flattenUser } from './flatten.ts';
import { type GeneratorPosition, loadPosition, savePosition } from './position-file.ts';

export interface GeneratorSourceOptions {
  /** Fixed seed (`--seed`); without it one is drawn at the first start and kept with the position. */
  seed?: string;
  /** Users per generated page, as randomuser's `results`. */
  pageSize: number;
  nat?: string;
  /** Users per second; 0: as fast as possible. */
  rate: number;
  /** Where the position is kept (the app's data folder). */
  stateDir: string;
  /** Stop once this many users of the seed are out, counted across restarts. */
  count?: number;
}

const short = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);

/** Users per batch at --rate 0. */
const FLAT_OUT = 1000;
/**
 * The offline stand-in for polling randomuser: the same answers a seeded `?seed=S&page=P&results=N`
 * request gives, page after page, flattened as the seed's Spark job does, keyed by the user's id.
 *
 * Position: the seed and the users emitted, kept in `<stateDir>/users-generator.<topic>.<request>.json`
 * once the runtime says a batch is durable (`committed`). A stop (Ctrl-C, `--limit`, mid-page) repeats
 * and skips nothing. A kill -9 between a produce and that write leaves the topic up to one batch ahead of
 * the file (the topic held 10 users twice per crash): at start the source looks for the topic's newest
 * user among the batch after the saved position and goes on after it (see #catchUp), so a crash repeats
 * nothing either. That holds where a batch lands as a prefix of itself, which both brokers guarantee (the
 * local one writes it in one transaction, Kafka's producer sends a partition's chunks one after another).
 */
export class UsersGeneratorSource implements Source {
  readonly name = 'users-generator';
  /** Each record's value is flattened anew from its user (see Source.handsOver). */
  readonly handsOver = true;
  readonly #o: GeneratorSourceOptions;
  #pos: GeneratorPosition = { seed: '', emitted: 0 };
  #file: string | undefined;
  /** Items of the batch in the runtime's hands, not yet counted as emitted. */
  #inHand = 0;

  constructor(o: GeneratorSourceOptions) {
    this.#o = o;
  }

  pacing(): Pacing | undefined {
    return this.#o.rate > 0 ? { by: 'rate', rate: this.#o.rate } : undefined;
  }

  async *read(ctx: SourceContext): AsyncIterable<SourceItem[]> {
    await this.#load(ctx);
    const size = this.#o.rate > 0 ? Math.max(1, Math.min(this.#o.pageSize, Math.round(this.#o.rate / 10))) : FLAT_OUT;
    // As far as the largest batch any run may have made, not this run's: a run flat out killed after a
    // produce, restarted at --rate 50 (batches of 5), looked 5 users ahead and sent the 1000 again.
    await this.#catchUp(ctx, Math.max(FLAT_OUT, this.#o.pageSize));
    for await (const batch of paced(this.#users(ctx.signal, this.#pos.emitted), ctx, this.pacing(), size)) {
      // A driver that asks again without calling `committed` means, by the Source contract, it is durable.
      if (this.#inHand > 0) await this.committed(this.#inHand);
      this.#inHand = batch.length;
      yield batch;
    }
  }

  async committed(handled: number): Promise<void> {
    this.#inHand = 0;
    if (handled === 0) return;
    this.#pos = { ...this.#pos, emitted: this.#pos.emitted + handled };
    if (this.#file) await savePosition(this.#file, this.#pos);
  }

  /**
   * The runtime produces a batch, then calls `committed`, which writes the file: a kill -9 in between
   * leaves up to `batch` users on the topic that the file does not count. The topic is the truth: when its
   * newest user is one of the `batch` users after the saved position, the position moves past it (and is
   * written). Any other newest record (a user from the dashboard's form, another seed's, none) leaves the
   * position as saved: then nothing of this sequence is on the topic past it.
   */
  async #catchUp(ctx: SourceContext, batch: number): Promise<void> {
    const newest = new Set(
      ((await ctx.newest?.()) ?? []).flatMap((v) => {
        const id = (v as { id?: unknown } | null)?.id;
        return typeof id === 'string' ? [id] : [];
      }),
    );
    if (newest.size === 0) return;
    const from = this.#pos.emitted;
    let n = from;
    let found: number | undefined;
    for await (const item of this.#users(ctx.signal, from, from + batch)) {
      n++;
      if (item.kind === 'record' && newest.has(item.record.key as string)) found = n;
    }
    if (found === undefined || ctx.signal.aborted) return;
    const ahead = found - from;
    this.#pos = { ...this.#pos, emitted: found };
    if (this.#file) await savePosition(this.#file, this.#pos);
    ctx.log.info(
      `users-generator: the topic holds ${ahead} ${ahead === 1 ? 'user' : 'users'} past the saved position ` +
        `(a stop before it was written): going on after user ${found}`,
    );
  }

  /** Users `from` on (the rest of its page, then whole pages), up to `until` or the count. */
  async *#users(signal: AbortSignal, from: number, until = Number.POSITIVE_INFINITY): AsyncGenerator<SourceItem> {
    const { pageSize, nat } = this.#o;
    let n = from;
    const end = Math.min(until, this.#o.count ?? Number.POSITIVE_INFINITY);
    // Loaded here, not at the top: faker, under it, took a fifth of a second off every `runnel` command.
    const { generateUsersAsync } = await import('./randomuser.ts');
    while (!signal.aborted && n < end) {
      const page = Math.floor(n / pageSize) + 1;
      // A page of 5000 takes a while: generated in slices that hand the event loop back.
      const { results } = await generateUsersAsync({
        seed: this.#pos.seed,
        page,
        results: pageSize,
        ...(nat ? { nat: nat.split(',') } : {}),
      });
      const now = Date.now();
      for (let i = n % pageSize; i < results.length && n < end; i++, n++) {
        const value = flattenUser(results[i]!);
        yield {
          kind: 'record',
          record: { key: value.id, value, timestamp: now },
          position: `users-generator seed ${this.#pos.seed} page ${page} #${i}`,
        };
      }
    }
  }

  async #load(ctx: SourceContext): Promise<void> {
    const { seed, pageSize, nat, stateDir } = this.#o;
    const into = ctx.destination?.id ?? ctx.destination?.topic ?? '';
    // Another seed, page size or nationality is another sequence: it starts afresh in a file of its own.
    const request = JSON.stringify([seed ?? null, pageSize, nat ?? null]);
    this.#file = join(stateDir, `users-generator.${short(into)}.${short(request)}.json`);
    const saved = await loadPosition(this.#file);
    this.#pos = saved ?? { seed: seed ?? randomBytes(8).toString('hex'), emitted: 0 };
    if (saved) ctx.log.info(`users-generator: resuming seed ${saved.seed} after ${saved.emitted} users`);
  }
}
