import { join } from 'node:path';
import {
  type AppOptions,
  alerts,
  defineApp,
  type Env,
  ErrorCodes,
  envNumber,
  isRunnelError,
  type PanelSpec,
  parseTimestamp,
  RunnelError,
  rateFromInterval,
  type Source,
  source,
  sourceFrom,
  valueStore,
  z,
} from '../../index.ts';
import { ensureSmokerSample } from './sample.ts';
import { type StallState, stallStep } from './stall.ts';

const SAMPLE_FILE = 'smoker_sample.csv';

/** The app's own input: the CSV from --csv, else a sample generated once into the data folder. */
function csvSource(options: AppOptions): Source {
  const env = options.env;
  const path = options.input ?? ensureSmokerSample(join(options.dataDir, SAMPLE_FILE));
  // Replay by event time (60 = one CSV minute per second) unless a fixed rate is asked for.
  const pacing =
    options.rate !== undefined
      ? { rate: options.rate }
      : options.speed !== undefined
        ? { speed: options.speed }
        : env.SMOKER_INTERVAL_SECONDS !== undefined
          ? { rate: rateFromInterval(env, ['SMOKER_INTERVAL_SECONDS'], 1) }
          : { speed: 60 };
  try {
    return source('csv', { path, timestampColumn: 'timestamp', columns: { temperature: 'number' }, ...pacing });
  } catch (err) {
    // The user may only have copied a path from somewhere: say the sample needs no file at all.
    if (options.input === undefined || !isRunnelError(err) || err.code !== ErrorCodes.FILE_NOT_FOUND) throw err;
    throw new RunnelError(
      ErrorCodes.FILE_NOT_FOUND,
      `${err.message} (leave out --csv to replay the built-in sample, written to ${join(options.dataDir, SAMPLE_FILE)})`,
      { value: options.input, cause: err },
    );
  }
}

/** A reading as the seeds' smoker producer sends it: what the stall detector and the tables need. */
const smokerReading = z.looseObject({
  temperature: z.number().finite(),
  // Event time and the chart's x, required: falling back to the arrival time put "now" among replayed
  // readings, squeezed the chart and raised a false "replay restarted" alert at the next reading. A string,
  // as the seeds send it and the tables store it (a text column).
  timestamp: z
    .string({ error: 'must be a date and time string (e.g. 2025-01-01 15:00:00)' })
    .refine((t) => Number.isFinite(parseTimestamp(t)), 'not a date and time (e.g. 2025-01-01 15:00:00)'),
});

export interface SmokerSettings {
  topic: string;
  alerts: string;
  window: number;
  threshold: number;
}

/** The seeds' smoker keys, read by build() and by the panels alike, so the page reads what the pipeline writes. */
function smokerSettings(env: Env): SmokerSettings {
  const topic = env.SMOKER_TOPIC || 'smoker';
  const window = envNumber(
    env,
    'SMOKER_ROLLING_WINDOW_SIZE',
    10,
    (n) => Number.isInteger(n) && n >= 2,
    'an integer >= 2',
  );
  const threshold = envNumber(env, 'SMOKER_STALL_THRESHOLD_F', 0.2, (n) => n >= 0, 'a number >= 0');
  return { topic, alerts: `${topic}.alerts`, window, threshold };
}

function smokerPanels(env: Env): PanelSpec[] {
  const { topic, alerts, window, threshold } = smokerSettings(env);
  // The rule in force, on the banner: a stall means something only against the window and threshold.
  const flat = `flat within ${threshold} °F`;
  return [
    {
      id: 'temperature',
      title: 'Temperature over time',
      type: 'line',
      topic,
      fields: { x: 'timestamp', y: 'temperature' },
      options: {
        unit: '°F',
        // A stall record says when (`at`) and which reading it is about (`reading`: partition, offset), so
        // a restarted replay's line is not marked with the earlier replay's stalls.
        marks: { topic: alerts, start: 'stall_started', end: 'stall_ended', at: 'at', reading: 'reading' },
      },
    },
    {
      id: 'stall',
      title: 'Stall alert',
      type: 'alert',
      topic: alerts,
      fields: { active: 'type', label: 'timestamp' },
      options: {
        activeWhen: 'stall_started',
        at: 'at',
        message: `Stall detected: temperature ${flat} over the last ${window} readings`,
        okMessage: `All clear: watching for ${window} readings ${flat}`,
      },
    },
  ];
}

export const smokerApp = defineApp({
  name: 'smoker',
  title: 'Smart smoker',
  description: 'Replays smoker temperatures from a CSV and raises an alert when the temperature stalls',
  csvInput: 'smoker temperatures (columns timestamp, temperature)',
  sources(options) {
    const from = sourceFrom(options, { timestampField: 'timestamp', csv: '--csv <file>' }) ?? csvSource(options);
    return [{ topic: smokerSettings(options.env).topic, source: from, schema: smokerReading }];
  },
  pipeline(t, options) {
    const settings = smokerSettings(options.env);
    const rule = alerts.stall({
      name: 'smoker-stall',
      label: 'temperature',
      unit: '°F',
      window: settings.window,
      threshold: settings.threshold,
    });
    // The reading's own `timestamp` is its event time: the record's time is that only on the CSV replay (a
    // reading another client wrote carries its write time there), so `consume` and `run --csv` agree.
    t.stream(settings.topic, { schema: smokerReading, eventTime: 'timestamp' })
      // One smoker per topic, its window kept under the topic's name: the app pointed at another topic
      // (SMOKER_TOPIC) starts a fresh window. The topic has one partition: no repartition for one key.
      .keyBy(() => settings.topic, { name: 'one-smoker', repartition: false })
      .process({ name: 'stall-detector', stores: { stall: valueStore<StallState>() } }, (reading, ctx) =>
        stallStep(rule, settings, reading, ctx),
      )
      .to(settings.alerts);
  },
  sinks(options) {
    const { topic, alerts: alertTopic } = smokerSettings(options.env);
    return [
      {
        topic,
        table: 'smoker_readings',
        columns: [
          { name: 'timestamp', type: 'text' },
          { name: 'temperature', type: 'real' },
        ],
      },
      {
        topic: alertTopic,
        table: 'smoker_alerts',
        columns: [
          { name: 'type', type: 'text' },
          { name: 'timestamp', type: 'text' },
          { name: 'at', type: 'integer' },
          { name: 'temperature', type: 'real' },
          { name: 'min', type: 'real' },
          { name: 'max', type: 'real' },
          { name: 'window', type: 'integer' },
          { name: 'threshold', type: 'real' },
          { name: 'reason', type: 'text' },
        ],
      },
    ];
  },
  panels: smokerPanels,
});
