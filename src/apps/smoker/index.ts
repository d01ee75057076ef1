import { join } from 'node:path';
import { z } from 'zod';
import type { AppDefinition, AppOptions, PanelSpec, PipelineSpec } from '../../core/app.ts';
import type { Source } from '../../core/connector.ts';
import { createSource } from '../../core/connector-registry.ts';
import { parseTimestamp } from '../../core/event-time.ts';
import { StallDetector } from '../../processing/stall-detector.ts';
import { type Env, envNumber, rateFromInterval, sinksFor, sourceFrom } from '../settings.ts';
import { ensureSmokerSample } from './sample.ts';

/** The app's own input: the CSV from --csv, else a sample generated once into the data folder. */
function csvSource(options: AppOptions): Source {
  const env = options.env;
  const path = options.input ?? ensureSmokerSample(join(options.dataDir, 'smoker_sample.csv'));
  // Replay by event time (60 = one CSV minute per second) unless a fixed rate is asked for.
  const pacing =
    options.rate !== undefined
      ? { rate: options.rate }
      : options.speed !== undefined
        ? { speed: options.speed }
        : env.SMOKER_INTERVAL_SECONDS !== undefined
          ? { rate: rateFromInterval(env, ['SMOKER_INTERVAL_SECONDS'], 1) }
          : { speed: 60 };
  return createSource('csv', { path, timestampColumn: 'timestamp', columns: { temperature: 'number' }, ...pacing });
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

interface SmokerSettings {
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
      options: { unit: '°F', marks: { topic: alerts, start: 'stall_started', end: 'stall_ended' } },
    },
    {
      id: 'stall',
      title: 'Stall alert',
      type: 'alert',
      topic: alerts,
      fields: { active: 'type', label: 'timestamp' },
      options: {
        activeWhen: 'stall_started',
        message: `Stall detected: temperature ${flat} over the last ${window} readings`,
        okMessage: `All clear: watching for ${window} readings ${flat}`,
      },
    },
  ];
}

export const smokerApp: AppDefinition = {
  name: 'smoker',
  title: 'Smart smoker',
  description: 'Replays smoker temperatures from a CSV and raises an alert when the temperature stalls',
  build(options): PipelineSpec {
    const { topic, alerts, window, threshold } = smokerSettings(options.env);
    const source = sourceFrom(options, { timestampField: 'timestamp' }) ?? csvSource(options);
    return {
      app: 'smoker',
      topics: { [topic]: { partitions: 1 }, [alerts]: { partitions: 1 } },
      sources: [{ source, topic, schema: smokerReading }],
      processors: [new StallDetector({ input: topic, output: alerts, window, threshold })],
      sinks: [
        ...sinksFor('smoker', topic, 'smoker_readings', options.sinks, options, [
          { name: 'timestamp', type: 'text' },
          { name: 'temperature', type: 'real' },
        ]),
        ...sinksFor('smoker', alerts, 'smoker_alerts', options.sinks, options, [
          { name: 'type', type: 'text' },
          { name: 'timestamp', type: 'text' },
          { name: 'at', type: 'integer' },
          { name: 'temperature', type: 'real' },
          { name: 'min', type: 'real' },
          { name: 'max', type: 'real' },
          { name: 'window', type: 'integer' },
          { name: 'threshold', type: 'real' },
          { name: 'reason', type: 'text' },
        ]),
      ],
    };
  },
  panels: smokerPanels({}),
  panelsFor: smokerPanels,
};
