import type { Processor, ProcessorContext } from '../../core/connector.ts';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import type { StreamRecord } from '../../core/record.ts';

export interface BuzzStats {
  total: number;
  byAuthor: Record<string, number>;
  /** Messages that carry a category, by category; a message without one is in `total` only. */
  byCategory: Record<string, number>;
  /**
   * Over the messages with a numeric sentiment only (`count` of them): a missing score is not a neutral
   * 0.5 (the seed dashboard's default, which pulled every mean toward the middle). Null until one arrives.
   */
  sentiment: { count: number; mean: number | null; rolling: number | null; window: number };
  length: { mean: number; median: number; min: number; max: number; histogram: Record<string, number> };
  /** Event time (ms) of the newest message counted. */
  at: number;
}

interface State {
  total: number;
  byAuthor: Record<string, number>;
  byCategory: Record<string, number>;
  sentimentSum: number;
  sentimentCount: number;
  recentSentiment: number[];
  lengths: Record<string, number>;
  lengthSum: number;
  at: number;
}

const ROLLING = 50;
/** Emitted figures are rounded here, so sums of two-decimal scores do not read 0.5088999999999999. */
const DECIMALS = 4;

/**
 * The aggregates behind the seeds' 4-panel dashboard, kept exactly over the whole stream (not the last
 * 50 messages by consumer wall-clock time, as the seed did): counts by author and category, mean and
 * rolling sentiment, and a length histogram from which mean, median, min and max are exact.
 */
export class BuzzStatsProcessor implements Processor<State> {
  readonly name = 'buzz-stats';
  readonly inputs: string[];
  readonly outputs: string[];
  #s: State = emptyState();
  #changed = false;

  constructor(input: string, output: string) {
    this.inputs = [input];
    this.outputs = [output];
  }

  process(record: StreamRecord): void {
    const v = record.value as Record<string, unknown> | null;
    if (!v || typeof v !== 'object' || typeof v.message !== 'string') {
      throw new RunnelError(
        ErrorCodes.SCHEMA_MISMATCH,
        `buzz message must be an object with a string "message" (got ${JSON.stringify(record.value)?.slice(0, 80)})`,
      );
    }
    const s = this.#s;
    s.total++;
    // The seeds' author chart counts a missing author as "unknown"; kept, so the bars add up to the total.
    const author = typeof v.author === 'string' ? v.author : 'unknown';
    s.byAuthor[author] = (s.byAuthor[author] ?? 0) + 1;
    // "other" is a category the seeds' producer assigns (no keyword matched), not a stand-in for none.
    if (typeof v.category === 'string') s.byCategory[v.category] = (s.byCategory[v.category] ?? 0) + 1;
    if (typeof v.sentiment === 'number' && Number.isFinite(v.sentiment)) addSentiment(s, v.sentiment);
    const length = typeof v.message_length === 'number' ? v.message_length : v.message.length;
    s.lengths[length] = (s.lengths[length] ?? 0) + 1;
    s.lengthSum += length;
    s.at = Math.max(s.at, record.timestamp);
    this.#changed = true;
  }

  /** One stats record per batch: the dashboard needs the latest totals, not one per message. */
  flush(ctx: ProcessorContext): void {
    if (!this.#changed) return;
    this.#changed = false;
    ctx.emit(this.outputs[0]!, { key: 'stats', value: this.stats(), timestamp: this.#s.at });
  }

  stats(): BuzzStats {
    const s = this.#s;
    const lengths = Object.entries(s.lengths)
      .map(([k, n]) => [Number(k), n] as const)
      .sort((a, b) => a[0] - b[0]);
    return {
      total: s.total,
      byAuthor: { ...s.byAuthor },
      byCategory: { ...s.byCategory },
      sentiment: {
        count: s.sentimentCount,
        mean: s.sentimentCount ? round(s.sentimentSum / s.sentimentCount) : null,
        rolling: s.recentSentiment.length
          ? round(s.recentSentiment.reduce((a, b) => a + b, 0) / s.recentSentiment.length)
          : null,
        window: ROLLING,
      },
      length: {
        mean: s.total ? round(s.lengthSum / s.total) : 0,
        median: median(lengths, s.total),
        min: lengths[0]?.[0] ?? 0,
        max: lengths[lengths.length - 1]?.[0] ?? 0,
        histogram: { ...s.lengths },
      },
      at: s.at,
    };
  }

  snapshot(): State {
    return this.#s;
  }

  restore(state: State): void {
    // State saved before sentiment had its own count summed a score for every message.
    this.#s = { ...emptyState(), ...state, sentimentCount: state.sentimentCount ?? state.total };
  }
}

function addSentiment(s: State, sentiment: number): void {
  s.sentimentSum += sentiment;
  s.sentimentCount++;
  s.recentSentiment.push(sentiment);
  if (s.recentSentiment.length > ROLLING) s.recentSentiment.shift();
}

function round(n: number): number {
  return Number(n.toFixed(DECIMALS));
}

function emptyState(): State {
  return {
    total: 0,
    byAuthor: {},
    byCategory: {},
    sentimentSum: 0,
    sentimentCount: 0,
    recentSentiment: [],
    lengths: {},
    lengthSum: 0,
    at: 0,
  };
}

/** Median from a sorted histogram: the middle value, or the mean of the two middle values. */
function median(sorted: ReadonlyArray<readonly [number, number]>, total: number): number {
  if (total === 0) return 0;
  const pick = (rank: number) => {
    let seen = 0;
    for (const [value, n] of sorted) {
      seen += n;
      if (seen > rank) return value;
    }
    return sorted[sorted.length - 1]![0];
  };
  return total % 2 === 1 ? pick((total - 1) / 2) : (pick(total / 2 - 1) + pick(total / 2)) / 2;
}
