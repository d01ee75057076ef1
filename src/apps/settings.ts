import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { seedsKafkaUrl, splitKafkaTopicUrl } from '../connectors/kafka-url.ts';
import { DEFAULT_CASSANDRA } from '../connectors/sinks/cassandra/spec.ts';
import { DEFAULT_POSTGRES_URL } from '../connectors/sinks/postgres/spec.ts';
import type { AppOptions, SinkBinding } from '../core/app.ts';
import type { Source } from '../core/connector.ts';
import { createSink, createSource } from '../core/connector-registry.ts';
import { ErrorCodes, RunnelError } from '../core/errors.ts';
import { checkPlaces, makeFolder } from '../core/places.ts';

export type Env = Record<string, string | undefined>;

/** Reads a numeric setting from the environment / `.env`, naming the key and value when it is not a number. */
export function envNumber(
  env: Record<string, string | undefined>,
  key: string,
  fallback: number,
  check: (n: number) => boolean = Number.isFinite,
  rule = 'a number',
): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n)) {
    throw new RunnelError(ErrorCodes.CONFIG_INVALID, `${key} must be ${rule} (got ${JSON.stringify(raw)})`, {
      value: raw,
    });
  }
  return n;
}

/** A seed `*_INTERVAL_SECONDS` key becomes a rate in records/s, so an existing `.env` keeps its pace. */
export function rateFromInterval(env: Record<string, string | undefined>, keys: string[], fallback: number): number {
  for (const key of keys) {
    if (env[key] === undefined) continue;
    const seconds = envNumber(env, key, 0, (n) => n >= 0, 'a number of seconds >= 0');
    return seconds === 0 ? 0 : 1 / seconds;
  }
  return fallback;
}

export interface Column {
  name: string;
  type: 'text' | 'integer' | 'real' | 'boolean' | 'json' | 'uuid';
}

/**
 * The Kafka cluster the `kafka` sink mirrors into: RUNNEL_KAFKA_SINK (a kafka:// URL), else the seeds'
 * KAFKA_BROKER_ADDRESS, else 127.0.0.1:9092.
 */
export function kafkaSinkUrl(env: Record<string, string | undefined>): string {
  return env.RUNNEL_KAFKA_SINK || seedsKafkaUrl(env);
}

/**
 * The database the `postgres` sink writes: RUNNEL_POSTGRES_URL, else DATABASE_URL, else the seeds'
 * POSTGRES_HOST/PORT/DB/USER/PASSWORD keys, else DEFAULT_POSTGRES_URL: loopback, the `postgres` role and
 * database that every installation has, so nothing is sent to another host unless configured.
 */
export function postgresSinkUrl(env: Env): string {
  const url = env.RUNNEL_POSTGRES_URL || env.DATABASE_URL;
  if (url) return url;
  const keys = ['POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_DB', 'POSTGRES_USER', 'POSTGRES_PASSWORD'];
  if (!keys.some((k) => env[k])) return DEFAULT_POSTGRES_URL;
  const enc = encodeURIComponent;
  const user = enc(env.POSTGRES_USER || 'postgres');
  const password = env.POSTGRES_PASSWORD ? `:${enc(env.POSTGRES_PASSWORD)}` : '';
  const host = env.POSTGRES_HOST || '127.0.0.1';
  return `postgres://${user}${password}@${host}:${env.POSTGRES_PORT || '5432'}/${enc(env.POSTGRES_DB || 'postgres')}`;
}

/**
 * Where the `cassandra` sink writes: RUNNEL_CASSANDRA (`host:port[,host:port]`), else DEFAULT_CASSANDRA
 * (loopback). The seeds hard-code their Cassandra host (`cassandra`, a compose service) and keep no `.env`
 * key for it; credentials, when the cluster wants them, come from RUNNEL_CASSANDRA_USERNAME/_PASSWORD.
 */
export function cassandraSink(env: Env): { contactPoints: string; username?: string; password?: string } {
  const username = env.RUNNEL_CASSANDRA_USERNAME;
  return {
    contactPoints: env.RUNNEL_CASSANDRA || DEFAULT_CASSANDRA,
    ...(username ? { username, password: env.RUNNEL_CASSANDRA_PASSWORD ?? '' } : {}),
  };
}

/** An app's name as a schema: a user pipeline may be called `my-app`. */
export const schemaName = (app: string): string => {
  const s = app.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return /^[a-z_]/.test(s) ? s : `_${s}`;
};

/**
 * `--from`: the app reads existing input instead of running its own source: a Kafka topic
 * (`kafka://host:port/topic`, the `kafka` source) or a JSON/JSONL file (the `json` source; `--follow`
 * keeps reading as it grows, through truncation and rotation). `fields` names the value fields that hold
 * the key (files only: Kafka records have their own) and the event time; `csv`, the flag an app that also
 * replays CSV reads one with (`--csv <file>`), which a CSV given to `--from` is pointed to.
 */
export function sourceFrom(
  options: AppOptions,
  fields: { key?: string; timestampField?: string; csv?: string } = {},
): Source | undefined {
  if (options.from === undefined) return undefined;
  const at = splitKafkaTopicUrl(options.from);
  if (at) {
    const { timestampField } = fields;
    return createSource('kafka', timestampField === undefined ? at : { ...at, timestampField });
  }
  const { csv, ...json } = fields;
  if (/^[a-z][a-z0-9+.-]*:/i.test(options.from) || !/\.jsonl?$/i.test(options.from)) {
    // Pointing an app without a CSV replay to --csv sent the user back here (buzz's --csv names --from).
    const csvHint = csv ? `; a CSV replay is ${csv}` : '; a CSV file goes in as JSONL: one JSON object per line';
    throw new RunnelError(
      ErrorCodes.CONFIG_INVALID,
      `--from must be kafka://host:port/topic or a .json/.jsonl file (got ${JSON.stringify(options.from)})` +
        (/\.csv$/i.test(options.from) ? csvHint : ''),
      { value: options.from },
    );
  }
  return createSource('json', { path: options.from, follow: options.follow ?? false, ...json });
}

/**
 * The sinks an app attaches to one topic: `<dataDir>/<topic>.jsonl`, a table in `<dataDir>/<app>.sqlite`
 * and `<dataDir>/<app>.duckdb` with the same columns and a real `id` key, and (opt-in) the same topic
 * mirrored into Kafka.
 */
export function sinksFor(
  app: string,
  topic: string,
  table: string,
  kinds: string[],
  options: Pick<AppOptions, 'dataDir' | 'env'>,
  columns?: Column[],
  /** Table mode for the SQL sinks: one row per value of this column, updated by newer records. */
  key?: string,
  /** The Postgres schema / Cassandra keyspace (default: the app's name). */
  namespace?: string,
): SinkBinding[] {
  const out: SinkBinding[] = [];
  const { dataDir } = options;
  for (const kind of kinds) {
    const name = `${kind}-${topic}`;
    let config: Record<string, unknown>;
    if (kind === 'jsonl') config = { path: join(dataDir, `${topic}.jsonl`) };
    else if (kind === 'sqlite' || kind === 'duckdb') {
      config = {
        path: join(dataDir, `${app}.${kind}`),
        table,
        ...(columns ? { columns } : {}),
        ...(key ? { key } : {}),
      };
    } else if (kind === 'postgres') {
      config = {
        url: postgresSinkUrl(options.env),
        // A schema per app, as a file per app for sqlite and duckdb: apps' tables never meet.
        schema: options.env.RUNNEL_POSTGRES_SCHEMA || namespace || schemaName(app),
        table,
        ...(columns ? { columns } : {}),
        ...(key ? { key } : {}),
      };
    } else if (kind === 'cassandra') {
      config = {
        ...cassandraSink(options.env),
        ...(options.env.RUNNEL_CASSANDRA_DC ? { dataCenter: options.env.RUNNEL_CASSANDRA_DC } : {}),
        // A keyspace per app, as a schema per app for postgres.
        keyspace: options.env.RUNNEL_CASSANDRA_KEYSPACE || namespace || schemaName(app),
        table,
        ...(columns ? { columns } : {}),
        ...(key ? { key } : {}),
      };
    } else if (kind === 'kafka') config = { url: kafkaSinkUrl(options.env), topic };
    else config = { path: join(dataDir, `${topic}.${kind}`) };
    const sink = createSink(kind, config);
    // Sink names must be unique per app (each is its own consumer group), so qualify by topic.
    out.push({ sink: Object.assign(sink, { name }), topic });
  }
  return out;
}

/**
 * Writes `contents` to `path` once (an app's generated sample input) and returns the path. A place that can
 * never be written is refused in one line naming it (`RUNNEL_OUTPUT_UNWRITABLE`), as the sinks' files are.
 */
export function ensureFile(path: string, contents: () => string, what: string): string {
  if (!existsSync(path)) {
    // Written while the app is built, before the run checks its places: the same one-line refusal.
    checkPlaces([{ path, kind: 'file', what, fix: 'give --data-dir a folder you can write' }]);
    makeFolder(dirname(path));
    writeFileSync(path, contents());
  }
  return path;
}
