import { type AppOptions, type Env, ErrorCodes, envNumber, RunnelError } from '../../index.ts';
import { NATIONALITY_CODES } from './nationalities.ts';

/** The app's topics, named after USERS_TOPIC (default the seed's `users_created`). */
export interface UsersTopics {
  /** Flat users (the seed's producer, Spark job and Django consumer all read `users_created`). */
  users: string;
  /** Every user with the model's prediction, made before the model learned from that user. */
  predicted: string;
  /** The prequential figures every `metricsEvery` users: the learning curve and the majority baseline. */
  metrics: string;
  /** Compact snapshots of the model, which the dashboard's predict endpoint answers from. */
  model: string;
}

export function usersTopics(env: Env): UsersTopics {
  const users = env.USERS_TOPIC?.trim() || 'users_created';
  return { users, predicted: `${users}.predicted`, metrics: `${users}.metrics`, model: `${users}.model` };
}

export interface UsersSettings {
  topics: UsersTopics;
  /** USERS_COUNT: the generator stops after this many users of its seed, across restarts. */
  count?: number;
  /** USERS_API_TIMEOUT_MS: how long one request to the API may take. */
  timeout: number;
  /** `--api` or RANDOMUSER_URL: a randomuser-shaped API to poll instead of the offline generator. */
  api?: string;
  /** Users per request / generated page (randomuser's `results`, at most 5000). */
  pageSize: number;
  /** randomuser's `nat`: comma-separated nationalities, or undefined for all. */
  nat?: string;
  /** Users per second from the offline generator or the API (0: as fast as possible). */
  rate: number;
  /** A metrics record every this many users. */
  metricsEvery: number;
  /** A model snapshot at least every this many users (and at the end of a batch after a quiet spell). */
  snapshotEvery: number;
}

/**
 * The app's settings: flags first, then `.env` (USERS_*, RANDOMUSER_URL), then defaults. The seed polled
 * one user every 10 s (USERS_INTERVAL_SECONDS=10 keeps that pace); the demo default is 5 users a second,
 * enough to watch the learning curve rise within a minute.
 */
export function usersSettings(o: Pick<AppOptions, 'env' | 'rate'> & { api?: string }): UsersSettings {
  const env: Env = o.env;
  const api = o.api ?? (env.RANDOMUSER_URL || undefined);
  const pageSize = envNumber(
    env,
    'USERS_PAGE_SIZE',
    100,
    (n) => Number.isInteger(n) && n >= 1 && n <= 5000,
    'a whole number from 1 to 5000 (randomuser answers at most 5000 users a request)',
  );
  // Normalised (`fr, de` → `FR,DE`): the generator and the API read the same list.
  const nat =
    env.USERS_NAT?.split(',')
      .map((n) => n.trim().toUpperCase())
      .filter(Boolean)
      .join(',') || undefined;
  if (nat !== undefined) {
    for (const n of nat.split(',')) {
      if (!NATIONALITY_CODES.includes(n)) {
        throw new RunnelError(
          ErrorCodes.CONFIG_INVALID,
          `USERS_NAT: unknown nationality "${n}" (randomuser knows ${NATIONALITY_CODES.join(', ')})`,
          { value: nat },
        );
      }
    }
  }
  const interval = env.USERS_INTERVAL_SECONDS;
  const fromEnv =
    interval === undefined || interval.trim() === ''
      ? 5
      : ((s) => (s === 0 ? 0 : 1 / s))(
          envNumber(env, 'USERS_INTERVAL_SECONDS', 10, (n) => n >= 0, 'a number of seconds >= 0'),
        );
  const count = env.USERS_COUNT?.trim()
    ? envNumber(env, 'USERS_COUNT', 0, (n) => Number.isInteger(n) && n >= 1, 'a whole number >= 1')
    : undefined;
  return {
    topics: usersTopics(env),
    ...(count === undefined ? {} : { count }),
    timeout: envNumber(env, 'USERS_API_TIMEOUT_MS', 10_000, (n) => n > 0, 'a number of milliseconds > 0'),
    ...(api ? { api } : {}),
    pageSize,
    ...(nat ? { nat } : {}),
    rate: o.rate ?? fromEnv,
    // Every 10: at the default 5 users a second the charts move every 2 s, not lagging the table by up to
    // 50 users (a trial read "530 seen" above charts saying 500).
    metricsEvery: envNumber(
      env,
      'USERS_METRICS_EVERY',
      10,
      (n) => Number.isInteger(n) && n >= 1,
      'a whole number >= 1',
    ),
    snapshotEvery: envNumber(
      env,
      'USERS_SNAPSHOT_EVERY',
      1000,
      (n) => Number.isInteger(n) && n >= 1,
      'a whole number >= 1',
    ),
  };
}
