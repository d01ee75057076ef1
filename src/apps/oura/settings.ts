import { ErrorCodes, RunnelError } from '../../index.ts';
import { type AnomalyOptions, DEFAULT_ANOMALY } from './anomaly.ts';
import type { Bands } from './day.ts';

export type Env = Record<string, string | undefined>;

/** Everything the pipeline and the page read from `.env`, so the page reads what the pipeline writes. */
export interface OuraSettings {
  /** OURA_TOPIC (the seed's key; its `.env` says `oura_csv`). */
  topic: string;
  days: string;
  weekly: string;
  alerts: string;
  bands: Bands;
  anomaly: AnomalyOptions;
}

function num(env: Env, key: string, fallback: number, ok: (n: number) => boolean, rule: string): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || !ok(n)) {
    throw new RunnelError(ErrorCodes.CONFIG_INVALID, `${key} must be ${rule} (got ${JSON.stringify(raw)})`, {
      value: raw,
    });
  }
  return n;
}

export function ouraSettings(env: Env): OuraSettings {
  const topic = env.OURA_TOPIC || 'oura';
  const low = num(env, 'OURA_CALORIE_LOW', 2750, (n) => n > 0, 'a number of kcal > 0');
  const ok = num(env, 'OURA_CALORIE_OK', 3000, (n) => n > low, `a number of kcal above OURA_CALORIE_LOW (${low})`);
  const window = num(
    env,
    'OURA_ANOMALY_WINDOW',
    DEFAULT_ANOMALY.window,
    (n) => Number.isInteger(n) && n >= 5,
    'a whole number of days >= 5',
  );
  const threshold = num(env, 'OURA_ANOMALY_Z', DEFAULT_ANOMALY.threshold, (n) => n > 0, 'a number > 0');
  return {
    topic,
    days: `${topic}.days`,
    weekly: `${topic}.weekly`,
    alerts: `${topic}.alerts`,
    bands: { low, ok },
    anomaly: { ...DEFAULT_ANOMALY, window, threshold, minDays: Math.min(DEFAULT_ANOMALY.minDays, window) },
  };
}

/** The seed's OURA_INTERVAL_SECONDS (seconds between days) as a rate, or undefined when unset. */
export function intervalRate(env: Env): number | undefined {
  if (env.OURA_INTERVAL_SECONDS === undefined || env.OURA_INTERVAL_SECONDS.trim() === '') return undefined;
  const s = num(env, 'OURA_INTERVAL_SECONDS', 1, (n) => n >= 0, 'a number of seconds >= 0');
  return s === 0 ? 0 : 1 / s;
}

/** OURA_POLL_MS: ms between two requests to the Oura API (default 250). */
export const pollMs = (env: Env): number =>
  num(env, 'OURA_POLL_MS', 250, (n) => n >= 0, 'a number of milliseconds >= 0');
