/** The figures behind the buzz dashboard, as `buzz.stats` records carry them. */
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

/** What the stats step keeps in its value store: exact sums and an exact length histogram (JSON). */
export interface BuzzStatsState {
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

/** The fields of a buzz message the stats read (the input schema guarantees `message`). */
export interface BuzzMessage {
  message: string;
  author?: string | undefined;
  category?: string | undefined;
  sentiment?: unknown;
  message_length?: number | undefined;
}

const ROLLING = 50;
/** Emitted figures are rounded here, so sums of two-decimal scores do not read 0.5088999999999999. */
const DECIMALS = 4;

export function emptyStats(): BuzzStatsState {
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

/**
 * Counts one message into `s` (changed in place): kept exactly over the whole stream, not over the last 50
 * messages by consumer wall-clock time as the seed did.
 */
export function addMessage(s: BuzzStatsState, m: BuzzMessage, at: number): BuzzStatsState {
  s.total++;
  // The seeds' author chart counts a missing author as "unknown"; kept, so the bars add up to the total.
  const author = typeof m.author === 'string' ? m.author : 'unknown';
  s.byAuthor[author] = (s.byAuthor[author] ?? 0) + 1;
  // "other" is a category the seeds' producer assigns (no keyword matched), not a stand-in for none.
  if (typeof m.category === 'string') s.byCategory[m.category] = (s.byCategory[m.category] ?? 0) + 1;
  if (typeof m.sentiment === 'number' && Number.isFinite(m.sentiment)) {
    s.sentimentSum += m.sentiment;
    s.sentimentCount++;
    s.recentSentiment.push(m.sentiment);
    if (s.recentSentiment.length > ROLLING) s.recentSentiment.shift();
  }
  const length = typeof m.message_length === 'number' ? m.message_length : m.message.length;
  s.lengths[length] = (s.lengths[length] ?? 0) + 1;
  s.lengthSum += length;
  s.at = Math.max(s.at, at);
  return s;
}

/** The emitted record: counts by author and category, mean and rolling sentiment, exact length figures. */
export function statsOf(s: BuzzStatsState): BuzzStats {
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

function round(n: number): number {
  return Number(n.toFixed(DECIMALS));
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
