import { join } from 'node:path';
import {
  type AppOptions,
  defineApp,
  ErrorCodes,
  type Pacing,
  type PanelSpec,
  RunnelError,
  type Source,
  source,
  tumbling,
  type ValueStoreSpec,
  valueStore,
} from '../../index.ts';
import { type FitState, initialFit, type OuraAlert, stepAnomaly } from './anomaly.ts';
import { type DayFigures, dayFigures, dayMs, OuraDay } from './day.ts';
import { ouraFileSource } from './input.ts';
import { ensureOuraSample } from './sample.ts';
import { type Env, intervalRate, ouraSettings, pollMs } from './settings.ts';
import { weekMeans } from './weekly.ts';

const SAMPLE_FILE = 'oura_sample.jsonl';
const DAY = 86_400_000;
/** 1970-01-01 was a Thursday: weeks start on Monday, 4 days later. */
const MONDAY = 4 * DAY;
/** The one person a ring's data is about: every day of the series shares this key (and its state). */
const PERSON = 'ring';
const OURA_API = 'https://api.ouraring.com/v2/usercollection/daily_activity';

/** --rate, else --speed, else the seed's OURA_INTERVAL_SECONDS, else one day of data per second. */
function pacingOf(o: AppOptions): Pacing | undefined {
  if (o.rate !== undefined) return o.rate === 0 ? undefined : { by: 'rate', rate: o.rate };
  if (o.speed !== undefined) return { by: 'event-time', speed: o.speed };
  const rate = intervalRate(o.env);
  if (rate !== undefined) return rate === 0 ? undefined : { by: 'rate', rate };
  return { by: 'event-time', speed: DAY / 1000 };
}

/** Where the days come from: the Oura API with OURA_TOKEN, a Kafka topic or a file, else the sample. */
function ouraSource(o: AppOptions): Source {
  const env = o.env;
  if (o.from?.startsWith('kafka://')) {
    const url = new URL(o.from);
    const topic = decodeURIComponent(url.pathname.slice(1));
    if (!topic) throw new RunnelError(ErrorCodes.CONFIG_INVALID, `--from ${o.from}: no topic after the address`);
    // The seed consumer's group key, honoured where runnel reads the seed producer's topic.
    const group = env.OURA_CONSUMER_GROUP_ID;
    return source('kafka', {
      url: `kafka://${url.host}`,
      topic,
      timestampField: 'day',
      ...(group ? { group } : {}),
    });
  }
  const file = o.input ?? o.from;
  if (file !== undefined) return ouraFileSource(file, pacingOf(o));
  if (env.OURA_TOKEN) {
    const today = new Date().toISOString().slice(0, 10);
    const yearAgo = new Date(Date.now() - 365 * DAY).toISOString().slice(0, 10);
    return source('http', {
      url: env.OURA_API_URL || OURA_API,
      query: { start_date: env.OURA_START_DATE || yearAgo, end_date: env.OURA_END_DATE || today },
      headers: { Authorization: `Bearer ${env.OURA_TOKEN}` },
      recordsPath: 'data',
      paging: { type: 'cursor' },
      key: 'day',
      timestampField: 'day',
      // Pages of history one after another, politely: the API allows 5000 requests per 5 minutes.
      interval: pollMs(env),
      stateDir: o.dataDir,
    });
  }
  return ouraFileSource(ensureOuraSample(join(o.dataDir, SAMPLE_FILE)), pacingOf(o));
}

function ouraPanels(env: Env): PanelSpec[] {
  const s = ouraSettings(env);
  const marks = [
    { topic: s.alerts, field: 'type', equals: 'anomaly_started', x: 'day', label: 'reason', color: 'purple' },
    { topic: s.alerts, field: 'type', equals: 'non_wear', x: 'day', label: 'reason', color: 'grey' },
  ];
  return [
    {
      id: 'calories',
      title: 'Calories burned by day, with high-activity time',
      type: 'day-bars',
      topic: s.days,
      fields: { x: 'day', y: 'total_calories', group: 'band' },
      options: {
        days: 90,
        yLabel: 'Calories burned (kcal)',
        unit: 'kcal',
        colors: { red: 'red', orange: 'orange', green: 'green' },
        legend: {
          green: `${s.bands.ok.toLocaleString('en-US')} kcal or more`,
          orange: `${s.bands.low.toLocaleString('en-US')} to ${s.bands.ok.toLocaleString('en-US')}`,
          red: `under ${s.bands.low.toLocaleString('en-US')}`,
        },
        thresholds: [
          { value: s.bands.low, label: `${s.bands.low} kcal` },
          { value: s.bands.ok, label: `${s.bands.ok} kcal` },
        ],
        line: { field: 'high_activity_minutes', label: 'High activity (min)', color: 'blue' },
        marks,
      },
    },
    {
      id: 'weekly',
      title: 'Weekly means (Monday to Sunday)',
      type: 'day-bars',
      topic: s.weekly,
      fields: { x: 'week', y: 'calories_mean' },
      options: {
        days: 53,
        step: 7,
        yLabel: 'Mean calories (kcal)',
        unit: 'kcal',
        color: 'teal',
        line: { field: 'activity_minutes_mean', label: 'Mean activity (min)', color: 'blue' },
        details: ['steps_mean', 'days', 'non_wear_days'],
      },
    },
    {
      id: 'score',
      title: 'Activity score (gaps: no score that day, or no data)',
      type: 'day-bars',
      topic: s.days,
      fields: { x: 'day' },
      options: {
        days: 90, // as the calories panel: two counts of "days with data" that disagree read as a bug
        line: { field: 'score', label: 'Activity score', color: 'green', axis: 'left' },
        yLabel: 'Score',
        marks,
      },
    },
    {
      id: 'alerts',
      title: 'Anomalies and non-wear days',
      type: 'table',
      topic: s.alerts,
      fields: { columns: ['day', 'type', 'z', 'reason'] },
      options: { rows: 12, time: false },
    },
  ];
}

const DAY_COLUMNS = [
  { name: 'day', type: 'text' },
  { name: 'score', type: 'integer' },
  { name: 'total_calories', type: 'integer' },
  { name: 'active_calories', type: 'integer' },
  { name: 'steps', type: 'integer' },
  { name: 'band', type: 'text' },
  { name: 'high_activity_minutes', type: 'real' },
  { name: 'medium_activity_minutes', type: 'real' },
  { name: 'low_activity_minutes', type: 'real' },
  { name: 'activity_minutes', type: 'real' },
  { name: 'sedentary_minutes', type: 'real' },
  { name: 'resting_minutes', type: 'real' },
  { name: 'non_wear_minutes', type: 'real' },
  { name: 'non_wear', type: 'boolean' },
] as const;

const WEEK_COLUMNS = [
  { name: 'week', type: 'text' },
  { name: 'days', type: 'integer' },
  { name: 'non_wear_days', type: 'integer' },
  { name: 'calories_mean', type: 'real' },
  { name: 'steps_mean', type: 'real' },
  { name: 'activity_minutes_mean', type: 'real' },
  { name: 'final', type: 'boolean' },
] as const;

const ALERT_COLUMNS = [
  { name: 'id', type: 'text' },
  { name: 'type', type: 'text' },
  { name: 'day', type: 'text' },
  { name: 'started_day', type: 'text' },
  { name: 'total_calories', type: 'integer' },
  { name: 'activity_minutes', type: 'real' },
  { name: 'expected_calories', type: 'integer' },
  { name: 'residual', type: 'integer' },
  { name: 'residual_std', type: 'real' },
  { name: 'z', type: 'real' },
  { name: 'threshold', type: 'real' },
  { name: 'non_wear_minutes', type: 'real' },
  { name: 'reason', type: 'text' },
] as const;

/** One weekly window's output row. */
export interface WeekRow {
  week: string;
  start: number;
  end: number;
  final: boolean;
  days: number;
  non_wear_days: number;
  calories_mean: number | null;
  steps_mean: number | null;
  activity_minutes_mean: number | null;
}

export const ouraApp = defineApp({
  name: 'oura',
  title: 'Oura ring: calories and activity',
  description:
    'Replays Oura daily activity (JSONL, API export or CSV) a day a second: calorie bands, weekly means, days whose calories do not match their activity',
  csvInput: 'Oura daily activity (JSONL of daily_activity documents, the API export {data, next_token}, or CSV)',
  sources: (o) => [{ topic: ouraSettings(o.env).topic, source: ouraSource(o), schema: OuraDay }],
  pipeline(t, o) {
    const s = ouraSettings(o.env);
    const days = t
      .stream(s.topic, { schema: OuraDay, eventTime: (d) => dayMs(d.day) })
      .map((d): DayFigures => dayFigures(d, s.bands), { name: 'day-figures' });
    days.to(s.days);
    // One series per ring: the fit and the weeks need every day of it in one place.
    const person = days.keyBy(() => PERSON, { name: 'by-person' });
    person
      .process<OuraAlert, { fit: ValueStoreSpec<FitState> }>(
        { name: 'anomalies', stores: { fit: valueStore<FitState>() } },
        (d, ctx) => {
          const { state, alerts } = stepAnomaly(ctx.stores.fit.get() ?? initialFit(), d, s.anomaly);
          ctx.stores.fit.set(state);
          for (const a of alerts) ctx.emit(a);
        },
      )
      .to(s.alerts);
    person
      .window(tumbling(7 * DAY, { offset: MONDAY }), { name: 'weeks', emit: 'updates', allowedLateness: 2 * DAY })
      .aggregate((a) => ({ week: a.of((d) => d, weekMeans) }))
      .map(
        (w): WeekRow => ({
          week: new Date(w.start).toISOString().slice(0, 10),
          start: w.start,
          end: w.end,
          final: w.final,
          ...w.week,
        }),
        { name: 'week-rows' },
      )
      .to(s.weekly);
  },
  sinks: (o) => {
    const s = ouraSettings(o.env);
    return [
      { topic: s.days, table: 'oura_days', columns: [...DAY_COLUMNS], key: 'day' },
      { topic: s.weekly, table: 'oura_weekly', columns: [...WEEK_COLUMNS], key: 'week' },
      { topic: s.alerts, table: 'oura_alerts', columns: [...ALERT_COLUMNS], key: 'id' },
    ];
  },
  panels: ouraPanels,
});
