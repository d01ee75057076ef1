import type { z } from 'zod';
import {
  type AppAction,
  type AppDefinition,
  type AppFlag,
  type AppOptions,
  type AppPrint,
  type PanelSpec,
  type PipelineSpec,
  SINK_KINDS,
  type SinkKind,
  type SourceBinding,
} from '../core/app.ts';
import type { TopicConfig } from '../core/broker.ts';
import { slipOf } from '../core/closest-names.ts';
import type { Source } from '../core/connector.ts';
import { ErrorCodes, RunnelError } from '../core/errors.ts';
import { inUserCode } from '../core/user-code.ts';
import { TopologyBuilder } from '../processing/dsl/topology.ts';
import { type Column, type Env, sinksFor } from './settings.ts';

/** A topic the app writes to the sinks chosen with `--sinks` (JSONL file, SQLite/DuckDB table, Kafka). */
export interface AppSink {
  topic: string;
  /** Table name in `<data-dir>/<app>.sqlite` / `.duckdb` (default: the topic with `.` and `-` as `_`). */
  table?: string;
  /** Typed columns for the SQL tables; without them a table holds the whole value as JSON. */
  columns?: Column[];
  /** Only these sink kinds (e.g. ['jsonl']); default: every kind `--sinks` names. */
  kinds?: SinkKind[];
  /**
   * Table mode for the SQL sinks: one row per value of this column (its primary key), updated by newer
   * records, instead of a row per record. Needs `columns` naming it.
   */
  key?: string;
  /**
   * The Postgres schema and Cassandra keyspace of its table (default: the app's name), for an app whose
   * seed fixed one (the users app: `spark_streams.created_users`). RUNNEL_POSTGRES_SCHEMA and
   * RUNNEL_CASSANDRA_KEYSPACE still override it.
   */
  namespace?: string;
}

/** An app: where its records come from, what it computes, where results go, and its dashboard page. */
export interface AppConfig {
  name: string;
  title?: string;
  description?: string;
  /**
   * What `--csv` replays, for an app whose own source replays a file (smoker, oura): named in `--help` and
   * in the refusal a built-in app without one gives. Whether `--csv` and `--speed` do anything is whether
   * `sources(options)` reads `options.input` and `options.speed` (a flag it never reads is refused or said).
   */
  csvInput?: string;
  /** What `--api <url>` polls (users: a randomuser-shaped API), named as `csvInput` is. */
  apiInput?: string;
  /** Flags for the app's own settings, each the same as an environment key (`--people` = STOPCOVID_PEOPLE). */
  flags?: AppFlag[];
  /** Partitions of the app's topics (default 1). Processes running `runnel consume` share them. */
  partitions?: number;
  /** Per-topic settings (partitions, retention) overriding the default. */
  topics?: Record<string, TopicConfig> | ((options: AppOptions) => Record<string, TopicConfig>);
  /** The sources and the topics they fill; each record is checked against `schema` before it is written. */
  sources?(options: AppOptions): Array<{ topic: string; source: Source; schema?: z.ZodType }>;
  /** The dataflow: streams from topics, steps, and the topics results go to. */
  pipeline(t: TopologyBuilder, options: AppOptions): void;
  sinks?: AppSink[] | ((options: AppOptions) => AppSink[]);
  panels?: PanelSpec[] | ((env: Env) => PanelSpec[]);
  /** Requests the dashboard answers for the app at `POST /api/apps/<name>/<action>` (see AppAction). */
  actions?: Record<string, AppAction>;
  /**
   * What `runnel consume` prints as it goes, a line per record of one topic (stopcovid: each notification's
   * sentence, as the seed's Consumer.py printed them); `line` answers undefined for a record to skip.
   */
  prints?: AppPrint | ((options: AppOptions) => AppPrint);
}

/**
 * Declares an app. The built-in apps are written with it, and a file whose default export is one runs
 * with `runnel run ./my-pipeline.ts` (likewise `produce` and `consume`).
 *
 * @example
 * export default defineApp({
 *   name: 'readings',
 *   sources: () => [{ topic: 'readings', source: source('csv', { path: 'readings.csv' }) }],
 *   pipeline(t) {
 *     t.stream('readings', { schema: Reading, eventTime: 'ts' })
 *       .keyBy((r) => r.sensor)
 *       .window(tumbling(60_000))
 *       .aggregate((a) => ({ n: a.count(), mean: a.mean((r) => r.temp) }))
 *       .to('readings.per-minute');
 *   },
 *   sinks: [{ topic: 'readings.per-minute' }],
 * });
 */
export function defineApp(config: AppConfig): AppDefinition {
  for (const action of Object.keys(config.actions ?? {})) {
    if (!/^[a-z][a-z0-9-]*$/.test(action)) {
      throw new RunnelError(
        ErrorCodes.CONFIG_INVALID,
        `action name "${action}" must be lower-case letters, digits and -`,
      );
    }
  }
  if (!/^[a-z][a-z0-9-]*$/.test(config.name)) {
    throw new RunnelError(
      ErrorCodes.CONFIG_INVALID,
      `app name "${config.name}" must be lower-case letters, digits and -`,
    );
  }
  const panels = (env: Env): PanelSpec[] =>
    typeof config.panels === 'function' ? config.panels(env) : (config.panels ?? []);
  return {
    name: config.name,
    title: config.title ?? config.name,
    description: config.description ?? '',
    ...(config.csvInput === undefined ? {} : { csvInput: config.csvInput }),
    ...(config.apiInput === undefined ? {} : { apiInput: config.apiInput }),
    ...(config.flags === undefined ? {} : { flags: config.flags }),
    build(options, parts): PipelineSpec {
      const partitions = config.partitions ?? 1;
      // RUNNEL_APP_ID renames what the app keeps for itself (internal topics, processors' groups and state):
      // two runs of one app on one Kafka cluster, with their own topics, then never read each other's.
      const id = options.env.RUNNEL_APP_ID?.trim() || config.name;
      const t = new TopologyBuilder(id, { partitions });
      inUserCode(`${config.name}: pipeline(t, options)`, () => config.pipeline(t, options));
      const processors = t.compile();
      const sources: SourceBinding[] =
        parts?.sources === false
          ? []
          : (inUserCode(`${config.name}: sources(options)`, () => config.sources?.(options)) ?? []).map((s) => ({
              ...s,
            }));
      const topics: Record<string, TopicConfig> = {};
      const sinksOf = config.sinks;
      const declared =
        typeof sinksOf === 'function'
          ? inUserCode(`${config.name}: sinks(options)`, () => sinksOf(options))
          : (sinksOf ?? []);
      // The sinks' topics too: a step's side outputs (emitTo) get the app's partitions, as its main one.
      const all = new Set<string>([
        ...sources.map((s) => s.topic),
        ...processors.flatMap((p) => [...p.inputs, ...p.outputs]),
        ...declared.map((s) => s.topic),
      ]);
      for (const topic of all) if (!topic.startsWith(`${id}-`)) topics[topic] = { partitions };
      const topicsOf = config.topics;
      Object.assign(
        topics,
        typeof topicsOf === 'function'
          ? inUserCode(`${config.name}: topics(options)`, () => topicsOf(options))
          : topicsOf,
      );
      for (const s of declared) checkSinkKinds(config.name, s);
      const sinks = declared.flatMap((s) =>
        sinksFor(
          config.name,
          s.topic,
          s.table ?? s.topic.replace(/[.-]/g, '_'),
          s.kinds ? options.sinks.filter((k) => (s.kinds as string[]).includes(k)) : options.sinks,
          options,
          s.columns,
          s.key,
          s.namespace,
        ),
      );
      const printsOf = config.prints;
      const prints =
        typeof printsOf === 'function'
          ? inUserCode(`${config.name}: prints(options)`, () => printsOf(options))
          : printsOf;
      // A misspelt topic would be made empty by `consume`, which would then print nothing, silently.
      if (prints && !all.has(prints.topic)) {
        throw new RunnelError(
          ErrorCodes.CONFIG_INVALID,
          `prints.topic "${prints.topic}" is none of ${config.name}'s topics (${[...all].sort().join(', ')})`,
          { value: prints.topic },
        );
      }
      return {
        app: config.name,
        ...(id === config.name ? {} : { id }),
        topics,
        sources,
        processors,
        sinks,
        ...(prints ? { prints } : {}),
      };
    },
    panels: panels({}),
    panelsFor: panels,
    ...(config.actions ? { actions: config.actions } : {}),
  };
}

/**
 * A misspelt kind (`kinds: ['sqllite']`) matched none of `--sinks`, and the table never appeared, in
 * silence. The type refuses it in TypeScript; this, in a plain .js app or behind a cast.
 */
function checkSinkKinds(app: string, s: AppSink): void {
  for (const kind of s.kinds ?? []) {
    if ((SINK_KINDS as readonly string[]).includes(kind)) continue;
    const meant = slipOf(kind, SINK_KINDS);
    throw new RunnelError(
      ErrorCodes.CONFIG_INVALID,
      `${app}: sink of ${s.topic}: kinds: unknown sink kind "${kind}"${meant ? ` (did you mean ${meant}?)` : ''}; ` +
        `the kinds: ${SINK_KINDS.join(', ')}`,
      { value: kind },
    );
  }
}
