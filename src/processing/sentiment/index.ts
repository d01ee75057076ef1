/**
 * Sentiment of a text with VADER (Hutto & Gilbert 2014), scored as the reference vaderSentiment 3.3.2 does,
 * on the lexicon shipped by the `vader-sentiment` package, 20-30× faster than that package (bench/sentiment.ts).
 *
 * When to use: short, informal English (social posts, chat, reviews); VADER needs no training and no model.
 * Gotchas:
 * - Emoji are not scored: the reference translates them to words through an emoji lexicon that no npm
 *   package ships. Emoticons such as ":)" are in the lexicon and do count.
 * - The scorer reuses internal buffers: it is synchronous and safe to call from anywhere on one thread,
 *   but do not share a `VaderScorer` across worker threads.
 *
 * @example
 * scoreSentiment('The book was good.'); // { neg: 0, neu: 0.508, pos: 0.492, compound: 0.4404 }
 * toUnitScale(0.4404); // 0.72
 */
import { type SentimentScores, VaderScorer } from './vader.ts';

export type { SentimentScores } from './vader.ts';
export { VaderScorer } from './vader.ts';

/** Built when the module loads: reading and indexing the lexicon takes about 10 ms, once. */
const shared = new VaderScorer();

/** VADER's neg/neu/pos shares (3 decimals) and compound (-1..1, 4 decimals), as the reference rounds them. */
export function scoreSentiment(text: string): SentimentScores {
  return shared.score(text);
}

/**
 * A compound (-1..1) on the seeds' 0..1 sentiment scale: (compound + 1) / 2, to 2 decimals as the seeds
 * round theirs. So 0 is most negative, 0.5 neutral, 1 most positive; VADER's neutral band (|compound| < 0.05)
 * becomes 0.48..0.52.
 */
export function toUnitScale(compound: number): number {
  const unit = (compound + 1) / 2;
  return Math.round(Math.min(1, Math.max(0, unit)) * 100) / 100;
}
