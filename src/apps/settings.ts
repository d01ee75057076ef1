import { join } from 'node:path';
import { seedsKafkaUrl, splitKafkaTopicUrl } from '../connectors/kafka-url.ts';
import type { AppOptions, SinkBinding } from '../core/app.ts';
import type { Source } from '../core/connector.ts';
import { createSink, createSource } from '../core/connector-registry.ts';
import { ErrorCodes, RunnelError } from '../core/errors.ts';

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
  type: 'text' | 'integer' | 'real' | 'boolean' | 'json';
}

/**
 * The Kafka cluster the `kafka` sink mirrors into: RUNNEL_KAFKA_SINK (a kafka:// URL), else the seeds'
 * KAFKA_BROKER_ADDRESS, else 127.0.0.1:9092.
 */
export function kafkaSinkUrl(env: Record<string, string | undefined>): string {
  return env.RUNNEL_KAFKA_SINK || seedsKafkaUrl(env);
}

/**
 * `--from`: the app reads existing input instead of running its own source: a Kafka topic
 * (`kafka://host:port/topic`, the `kafka` source) or a JSON/JSONL file (the `json` source; `--follow`
 * keeps reading as it grows, through truncation and rotation). `fields` names the value fields that hold
 * the key (files only: Kafka records have their own) and the event time.
 */
export function sourceFrom(
  options: AppOptions,
  fields: { key?: string; timestampField?: string } = {},
): Source | undefined {
  if (options.from === undefined) return undefined;
  const at = splitKafkaTopicUrl(options.from);
  if (at) {
    const { timestampField } = fields;
    return createSource('kafka', timestampField === undefined ? at : { ...at, timestampField });
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(options.from) || !/\.jsonl?$/i.test(options.from)) {
    throw new RunnelError(
      ErrorCodes.CONFIG_INVALID,
      `--from must be kafka://host:port/topic or a .json/.jsonl file (got ${JSON.stringify(options.from)})` +
        (/\.csv$/i.test(options.from) ? '; a CSV replay is --csv <file>' : ''),
      { value: options.from },
    );
  }
  return createSource('json', { path: options.from, follow: options.follow ?? false, ...fields });
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
): SinkBinding[] {
  const out: SinkBinding[] = [];
  const { dataDir } = options;
  for (const kind of kinds) {
    const name = `${kind}-${topic}`;
    let config: Record<string, unknown>;
    if (kind === 'jsonl') config = { path: join(dataDir, `${topic}.jsonl`) };
    else if (kind === 'sqlite' || kind === 'duckdb') {
      config = { path: join(dataDir, `${app}.${kind}`), table, ...(columns ? { columns } : {}) };
    } else if (kind === 'kafka') config = { url: kafkaSinkUrl(options.env), topic };
    else config = { path: join(dataDir, `${topic}.${kind}`) };
    const sink = createSink(kind, config);
    // Sink names must be unique per app (each is its own consumer group), so qualify by topic.
    out.push({ sink: Object.assign(sink, { name }), topic });
  }
  return out;
}
