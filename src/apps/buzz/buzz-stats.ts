import type { Processor, ProcessorContext } from '../../core/connector.ts';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import type { StreamRecord } from '../../core/record.ts';

export interface BuzzStats {
  total: number;
  byAuthor: Record<string, number>;
  byCategory: Record<string, number>;
  sentiment: { mean: number; rolling: number; window: number };
  length: { mean: number; median: number; min: number; max: number; histogram: Record<string, number> };
  /** Event time (ms) of the newest message counted. */
  at: number;
}

interface State {
  total: number;
  byAuthor: Record<string, number>;
  byCategory: Record<string, number>;
  sentimentSum: number;
  recentSentiment: number[];
  lengths: Record<string, number>;
  lengthSum: number;
  at: number;
}

const ROLLING = 50;

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
    const author = typeof v.author === 'string' ? v.author : 'unknown';
    s.byAuthor[author] = (s.byAuthor[author] ?? 0) + 1;
    const category = typeof v.category === 'string' ? v.category : 'other';
    s.byCategory[category] = (s.byCategory[category] ?? 0) + 1;
    const sentiment = typeof v.sentiment === 'number' ? v.sentiment : 0.5;
    s.sentimentSum += sentiment;
    s.recentSentiment.push(sentiment);
    if (s.recentSentiment.length > ROLLING) s.recentSentiment.shift();
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
        mean: s.total ? s.sentimentSum / s.total : 0,
        rolling: s.recentSentiment.length ? s.recentSentiment.reduce((a, b) => a + b, 0) / s.recentSentiment.length : 0,
        window: ROLLING,
      },
      length: {
        mean: s.total ? s.lengthSum / s.total : 0,
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
    this.#s = { ...emptyState(), ...state };
  }
}

function emptyState(): State {
  return {
    total: 0,
    byAuthor: {},
    byCategory: {},
    sentimentSum: 0,
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
