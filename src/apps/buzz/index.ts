import {
  defineApp,
  type Env,
  envNumber,
  type PanelSpec,
  rateFromInterval,
  source,
  sourceFrom,
  valueStore,
  z,
} from '../../index.ts';
import { addMessage, type BuzzStatsState, emptyStats, statsOf } from './buzz-stats.ts';

/** The seeds' table: same name and columns as buzzline-05's `streamed_messages`, plus a real id. */
const MESSAGE_COLUMNS = [
  { name: 'message', type: 'text' },
  { name: 'author', type: 'text' },
  { name: 'timestamp', type: 'text' },
  { name: 'category', type: 'text' },
  { name: 'sentiment', type: 'real' },
  { name: 'keyword_mentioned', type: 'text' },
  { name: 'message_length', type: 'integer' },
] as const;

/** The seeds' buzz message: only `message` is required; the rest, when present, must fit its column. */
const buzzMessage = z.looseObject({
  message: z.string(),
  author: z.string().optional(),
  timestamp: z.string().optional(),
  category: z.string().optional(),
  sentiment: z.number().optional(),
  keyword_mentioned: z.string().optional(),
  message_length: z.number().int().optional(),
});

/** The topics the pipeline writes and the dashboard reads: BUZZ_TOPIC, as the seeds name it in `.env`. */
function buzzTopics(env: Env): { topic: string; stats: string } {
  const topic = env.BUZZ_TOPIC || 'buzz';
  return { topic, stats: `${topic}.stats` };
}

function buzzPanels(env: Env): PanelSpec[] {
  const { topic, stats } = buzzTopics(env);
  return [
    { id: 'flow', title: 'Message flow over time', type: 'cumulative', topic, fields: {} },
    { id: 'authors', title: 'Messages by author', type: 'bar', topic: stats, fields: { y: 'byAuthor' } },
    {
      id: 'sentiment',
      title: 'Sentiment trend',
      type: 'line',
      topic,
      fields: { y: 'sentiment' },
      options: {
        min: 0,
        max: 1,
        zones: [
          { from: 0.7, to: 1, label: 'Positive', color: 'green' },
          { from: 0.3, to: 0.7, label: 'Neutral', color: 'yellow' },
          { from: 0, to: 0.3, label: 'Negative', color: 'red' },
        ],
        average: 'sentiment.mean',
        averageTopic: stats,
      },
    },
    {
      id: 'length',
      title: 'Message length',
      type: 'histogram',
      topic: stats,
      fields: { y: 'length.histogram' },
      options: { marks: ['length.mean', 'length.median'], unit: 'chars' },
    },
    { id: 'categories', title: 'Messages by category', type: 'bar', topic: stats, fields: { y: 'byCategory' } },
  ];
}

export const buzzApp = defineApp({
  name: 'buzz',
  title: 'Buzz messages',
  description:
    'Generated author/message stream (the buzzline projects): counts by author and category, sentiment, lengths',
  sources(options) {
    // Keyed by author like the generator's records; event time stays arrival time, as the live charts expect.
    // The generator's pace and seed are read only for it: with --from they would change nothing (said so).
    const from =
      sourceFrom(options, { key: 'author' }) ??
      source('generator', {
        rate: options.rate ?? rateFromInterval(options.env, ['BUZZ_INTERVAL_SECONDS', 'MESSAGE_INTERVAL_SECONDS'], 10),
        seed: options.seed ?? envNumber(options.env, 'BUZZ_SEED', Date.now() % 2 ** 31, Number.isInteger, 'an integer'),
      });
    return [{ topic: buzzTopics(options.env).topic, source: from, schema: buzzMessage }];
  },
  pipeline(t, options) {
    const { topic, stats } = buzzTopics(options.env);
    // The stats read the known fields only: a stripping object hands the step a value built anew, so the
    // batches this process's sinks share need no deep copy for it (parsesFresh). The topic keeps every field.
    t.stream(topic, { schema: z.object(buzzMessage.shape) })
      // One set of totals over the whole topic, kept under the topic's name: an app pointed at another topic
      // (BUZZ_TOPIC) starts from zero. buzz has one partition, so no repartition is needed for one key.
      .keyBy(() => topic, { name: 'all-messages', repartition: false })
      .process(
        {
          name: 'buzz-stats',
          stores: { totals: valueStore<BuzzStatsState>() },
          // One stats record per batch: the dashboard needs the latest totals, not one per message.
          flush(ctx) {
            const s = ctx.stores.totals.get();
            if (s) ctx.emit(statsOf(s), { key: 'stats', timestamp: s.at });
          },
        },
        (message, ctx) => {
          ctx.stores.totals.set(addMessage(ctx.stores.totals.get() ?? emptyStats(), message, ctx.timestamp));
        },
      )
      .to(stats);
  },
  sinks(options) {
    const { topic, stats } = buzzTopics(options.env);
    return [
      { topic, table: 'streamed_messages', columns: [...MESSAGE_COLUMNS] },
      { topic: stats, table: 'buzz_stats', kinds: ['jsonl', 'kafka'] },
    ];
  },
  panels: buzzPanels,
});
