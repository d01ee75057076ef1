import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { type AppOptions, SINK_KINDS, type SinkKind } from '../core/app.ts';
import type { Broker } from '../core/broker.ts';
import { createBroker, DEFAULT_BROKER_URL } from '../core/broker-registry.ts';
import { ErrorCodes, RunnelError } from '../core/errors.ts';
import { createLogger, type Logger } from '../core/log.ts';
import type { OutputPlace } from '../core/places.ts';
import '../brokers/index.ts';
import { kafkaSinkUrl } from '../apps/settings.ts';
import { parseKafkaUrl } from '../brokers/kafka/config.ts';
import { parseLocalUrl } from '../brokers/local/index.ts';
import { seedsKafkaUrl, splitKafkaTopicUrl } from '../connectors/kafka-url.ts';
import '../connectors/sources/index.ts';
import '../connectors/sinks/index.ts';

export interface CommonFlags {
  broker?: string;
  dataDir?: string;
  /** Unused since processors keep their state in the broker; accepted so old command lines still run. */
  stateDir?: string;
  dotenv?: string;
  verbose?: boolean;
  quiet?: boolean;
}

export interface PipelineFlags extends CommonFlags {
  limit?: number;
  rate?: number;
  speed?: number;
  sinks?: string;
  csv?: string;
  from?: string;
  follow?: boolean;
  /** Replay the input file from its start (see RunOptions.fromStart). */
  fromStart?: boolean;
  seed?: number;
  api?: string;
}

export { SINK_KINDS };
/** Kafka mirroring is opt-in: it needs a cluster, and the default must run with nothing but Node. */
export const DEFAULT_SINKS: SinkKind[] = ['jsonl', 'sqlite', 'duckdb'];

/** `.env` in the working directory (or the --dotenv file), under the real environment, which wins. */
export function loadEnv(dotenv?: string): Record<string, string | undefined> {
  const path = resolve(dotenv ?? '.env');
  let fromFile: Record<string, string> = {};
  if (existsSync(path)) fromFile = parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
  else if (dotenv) throw new RunnelError(ErrorCodes.FILE_NOT_FOUND, `env file not found: ${path}`, { value: dotenv });
  return { ...fromFile, ...process.env };
}

/**
 * `--broker` > RUNNEL_BROKER > local default. A bare `kafka` uses the seeds' KAFKA_BROKER_ADDRESS, so an
 * existing `.env` that points at a cluster keeps working with `--broker kafka`.
 */
export function brokerUrl(flag: string | undefined, env: Record<string, string | undefined>): string {
  const url = flag ?? env.RUNNEL_BROKER ?? DEFAULT_BROKER_URL;
  if (url === 'kafka') return seedsKafkaUrl(env);
  if (url === 'local') return DEFAULT_BROKER_URL;
  return url;
}

/** The local broker's file, as a place to check at start-up with the sinks' (none for Kafka or :memory:). */
export function brokerPlaces(flags: CommonFlags, env: Record<string, string | undefined>): OutputPlace[] {
  const url = brokerUrl(flags.broker, env);
  if (!url.startsWith('local:')) return [];
  const { path } = parseLocalUrl(url);
  if (path === ':memory:') return [];
  return [
    {
      path,
      kind: 'file',
      what: 'the local broker file',
      fix: 'give --broker local:<a file in a folder you can write>',
    },
  ];
}

export async function openBroker(flags: CommonFlags, env = loadEnv(flags.dotenv)): Promise<Broker> {
  const broker = await createBroker(brokerUrl(flags.broker, env));
  await broker.connect();
  return broker;
}

export function logger(flags: CommonFlags, prefix?: string): Logger {
  return createLogger({ verbose: flags.verbose ?? false, quiet: flags.quiet ?? false, ...(prefix ? { prefix } : {}) });
}

/**
 * The sinks `--sinks` names; without it the defaults, plus Postgres when the seeds' `.env` says
 * DATABASE_TYPE=postgres (their consumers wrote to SQLite or Postgres by that key).
 */
export function parseSinks(list: string | undefined, env: Record<string, string | undefined> = {}): SinkKind[] {
  if (list === undefined) return [...DEFAULT_SINKS, ...databaseTypeSinks(env.DATABASE_TYPE)];
  const kinds = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (kinds.length === 0) {
    throw new RunnelError(
      ErrorCodes.CONFIG_INVALID,
      `--sinks: name at least one of ${SINK_KINDS.join(', ')} (got "${list}")`,
      {
        value: list,
      },
    );
  }
  for (const k of kinds) {
    if (!(SINK_KINDS as readonly string[]).includes(k)) {
      throw new RunnelError(ErrorCodes.CONFIG_INVALID, `--sinks: unknown sink "${k}" (use ${SINK_KINDS.join(', ')})`, {
        value: k,
      });
    }
  }
  return kinds as SinkKind[];
}

function databaseTypeSinks(type: string | undefined): SinkKind[] {
  const t = type?.trim().toLowerCase();
  if (!t || t === 'sqlite' || t === 'duckdb') return [];
  if (t === 'postgres' || t === 'postgresql') return ['postgres'];
  throw new RunnelError(
    ErrorCodes.CONFIG_INVALID,
    `DATABASE_TYPE=${type}: runnel writes sqlite (always) or postgres; for another store name its sink with --sinks`,
    { value: type },
  );
}

/** The same Kafka cluster, by any of its bootstrap addresses (localhost and 127.0.0.1 are one). */
function sameKafkaCluster(a: string, b: string): boolean {
  const hosts = (url: string) => parseKafkaUrl(url).brokers.map((h) => h.replace(/^localhost:/, '127.0.0.1:'));
  const theirs = new Set(hosts(b));
  return hosts(a).some((h) => theirs.has(h));
}

/**
 * `--from kafka://cluster/T` with `--sinks kafka` into that cluster, where the app's topics include T (e.g.
 * SMOKER_TOPIC=smoker_csv, as the README suggests for a seed's producer): the mirror writes T, the source
 * reads it back, and the topic grows without end (10 records became 10,970 in 10 s). Checked once the app
 * is built, when its topic names are known.
 */
export function checkFromLoop(flags: PipelineFlags, env: Record<string, string | undefined>, topics: string[]): void {
  const from = flags.from === undefined ? undefined : splitKafkaTopicUrl(flags.from);
  if (!from || !parseSinks(flags.sinks, env).includes('kafka') || !topics.includes(from.topic)) return;
  const mirror = kafkaSinkUrl(env);
  if (!sameKafkaCluster(from.url, mirror)) return;
  throw new RunnelError(
    ErrorCodes.CONFIG_INVALID,
    `--from ${flags.from} with --sinks kafka would mirror ${from.topic} back into the topic it reads ` +
      `(${mirror}), without end: drop kafka from --sinks, or give the app other topic names (e.g. SMOKER_TOPIC)`,
    { value: flags.from },
  );
}

/**
 * `--sinks kafka` on a pipeline that already runs on that Kafka would mirror each topic into itself: the
 * mirror reads its own writes and the topic grows without end (10 records became 90 in a second).
 */
function checkMirror(flags: PipelineFlags, env: Record<string, string | undefined>): void {
  if (!parseSinks(flags.sinks, env).includes('kafka')) return;
  const broker = brokerUrl(flags.broker, env);
  const mirror = kafkaSinkUrl(env);
  if (!broker.startsWith('kafka:') || !sameKafkaCluster(broker, mirror)) return;
  throw new RunnelError(
    ErrorCodes.CONFIG_INVALID,
    `--sinks kafka mirrors every topic into ${mirror}, the cluster this pipeline already runs on, so it would copy ` +
      'its own copies without end: drop kafka from --sinks (the topics are on Kafka already), or set ' +
      'RUNNEL_KAFKA_SINK to another cluster',
    { value: mirror },
  );
}

/** Flags that only mean something together: a silent no-op would leave the user guessing. */
function checkCombinations(flags: PipelineFlags): void {
  const bad = (message: string) => new RunnelError(ErrorCodes.CONFIG_INVALID, message);
  if (flags.follow && flags.from === undefined)
    throw bad('--follow needs --from <file.jsonl> (the file to keep reading)');
  if (flags.csv !== undefined && flags.from !== undefined) {
    throw bad('--csv and --from both name the input: give one (--from reads Kafka or JSON, --csv a CSV replay)');
  }
}

export function appOptions(flags: PipelineFlags, env: Record<string, string | undefined>): AppOptions {
  checkCombinations(flags);
  checkMirror(flags, env);
  return {
    dataDir: resolve(flags.dataDir ?? env.BASE_DATA_DIR ?? 'data'),
    sinks: parseSinks(flags.sinks, env),
    env,
    ...(flags.rate === undefined ? {} : { rate: flags.rate }),
    ...(flags.speed === undefined ? {} : { speed: flags.speed }),
    ...(flags.csv === undefined ? {} : { input: resolve(flags.csv) }),
    ...(flags.from === undefined
      ? {}
      : { from: /^[a-z][a-z0-9+.-]*:\/\//i.test(flags.from) ? flags.from : resolve(flags.from) }),
    ...(flags.follow ? { follow: true } : {}),
    ...(flags.seed === undefined ? {} : { seed: flags.seed }),
    ...(flags.api === undefined ? {} : { api: flags.api }),
  };
}

/** Commander option parsers that name the flag and the bad value. */
export function numberFlag(name: string, check: (n: number) => boolean, rule: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) {
      throw new RunnelError(ErrorCodes.CONFIG_INVALID, `${name} must be ${rule} (got ${JSON.stringify(raw)})`, {
        value: raw,
      });
    }
    return n;
  };
}
