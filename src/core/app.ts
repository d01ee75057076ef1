import type { z } from 'zod';
import type { TopicConfig } from './broker.ts';
import type { Sink, Source, TaskProcessor } from './connector.ts';
import type { OutgoingRecord, StreamRecord } from './record.ts';

/** A dashboard panel, declared by the app so new apps add panels without touching the dashboard. */
export interface PanelSpec {
  id: string;
  title: string;
  /** A panel type's name as registered (src/panels/<type>, e.g. `line`, `day-bars`); the type's options.ts
   * says what it reads from `fields` and `options`. */
  type: string;
  topic: string;
  /** Field names inside the record value (dot paths), meaning depends on `type`. */
  fields: { x?: string; y?: string; group?: string; label?: string; active?: string; columns?: string[] };
  /** The type's options (colour zones, marks, …), checked by its schema when the dashboard builds the panel. */
  options?: Record<string, unknown>;
}

export interface SourceBinding {
  source: Source;
  topic: string;
  /**
   * What the app's processors and sinks need of each value. A record from the source that does not fit
   * goes to `<topic>.dlq` once, with its input position, instead of onto the topic to fail at every
   * consumer (and land as is in the JSONL file). Checked only, never transformed.
   */
  schema?: z.ZodType;
}

export interface SinkBinding {
  sink: Sink;
  topic: string;
  /**
   * Runs in the pipeline's own thread, never in a sink thread: a sink the command adds, not one the app
   * declares (consume's printer), which a thread rebuilding the app from its definition would not have.
   */
  here?: boolean;
}

/** Everything an app runs; `runnel run` starts all of it, `produce`/`consume` split it across processes. */
export interface PipelineSpec {
  app: string;
  /**
   * What the app's processors keep for themselves is named after (consumer groups, state and its
   * changelogs), when not the app's name: RUNNEL_APP_ID, so two runs of one app on one Kafka stay apart.
   */
  id?: string;
  topics: Record<string, TopicConfig>;
  sources: SourceBinding[];
  processors: TaskProcessor[];
  sinks: SinkBinding[];
  /** What `runnel consume` prints, a line per record of one topic (see AppPrint). */
  prints?: AppPrint;
}

/** A topic whose records `runnel consume` prints as they come, each as `line` makes it (undefined: skipped). */
export interface AppPrint {
  topic: string;
  line(value: unknown): string | undefined;
}

/** Every sink kind an app attaches (`--sinks`, AppSink.kinds): the one list. */
export const SINK_KINDS = ['jsonl', 'sqlite', 'duckdb', 'postgres', 'cassandra', 'kafka'] as const;
export type SinkKind = (typeof SINK_KINDS)[number];

export interface AppOptions {
  /** Folder for sink output (`<dataDir>/<app>.sqlite`, `<dataDir>/<topic>.jsonl`). */
  dataDir: string;
  /** Sink kinds to attach, e.g. ['jsonl', 'sqlite', 'duckdb']. */
  sinks: SinkKind[];
  /** Source pacing: records per second, 0 = as fast as possible; undefined = the app's default. */
  rate?: number;
  /** Event-time replay speed multiplier for replays (csv). */
  speed?: number;
  /** Input file for apps that replay one (smoker --csv). */
  input?: string;
  /** Existing input instead of the app's own source: `kafka://host:port/topic` or a .json/.jsonl file. */
  from?: string;
  /** With a file in `from`: keep reading as it grows. */
  follow?: boolean;
  /** `--api <url>`: the HTTP API an app polls instead of its offline default (users: randomuser's shape). */
  api?: string;
  /** Seed for apps with randomness, so runs are reproducible. */
  seed?: number;
  /** Settings from the environment and `.env` (seed projects' keys honoured). */
  env: Record<string, string | undefined>;
}

/** What an app action may do on the broker the dashboard serves: read a topic's newest records, add records. */
export interface AppActionContext {
  /** The newest record of each partition of `topic` that has one (no topic: none). */
  latest(topic: string): Promise<StreamRecord[]>;
  /** Puts records on one of the app's topics, durably. */
  produce(topic: string, records: OutgoingRecord[]): Promise<void>;
  /** The settings the app's pipeline runs with. */
  env: Record<string, string | undefined>;
}

/**
 * A request the dashboard answers for an app: `POST /api/apps/<app>/<action>` with a JSON body that
 * `input` checks before `run` sees it (the users app's `predict` and `add`). The server's Host, Origin and
 * token checks apply, and the body is small (16 KiB at most).
 */
export interface AppAction {
  input: z.ZodType;
  /** The answer (sent as JSON), or throws a RunnelError (CONFIG_INVALID: 400, NOT_READY: 503). */
  run(input: unknown, ctx: AppActionContext): Promise<unknown>;
}

/**
 * A command-line flag an app declares for its own settings (`--people 1000`): the CLI offers it on
 * run/produce/consume and passes its value as the app's environment key, so a flag and its `.env` key
 * are one setting, checked in one place (the flag wins).
 */
export interface AppFlag {
  /** The flag without dashes, kebab-case: `tick-rate` is `--tick-rate <value>`. */
  name: string;
  /** The environment key it sets, e.g. STOPCOVID_TICK_RATE. */
  env: string;
  description: string;
  /** The value's placeholder in --help (default `value`). */
  value?: string;
}

export interface AppDefinition {
  name: string;
  title: string;
  description: string;
  /**
   * What `--csv` replays, for an app whose own source is a CSV replay (smoker: "smoker temperatures").
   * Absent: the app reads no CSV, and `--csv` / `--speed` are refused rather than silently ignored.
   */
  csvInput?: string;
  /** What `--api` polls, for an app that polls an HTTP API; absent: `--api` is refused for the app. */
  apiInput?: string;
  /** The app's own flags (see AppFlag). */
  flags?: AppFlag[];
  /**
   * `parts.sources: false`: the sources are not made (spec.sources is empty). For a command that only reads
   * the app's processors and sinks (verify): making a source may write a sample input into the data folder.
   */
  build(options: AppOptions, parts?: { sources?: boolean }): PipelineSpec | Promise<PipelineSpec>;
  /** The dashboard's panels with the default settings. */
  panels: PanelSpec[];
  /**
   * The panels under the settings a pipeline runs with, for an app whose topics follow them (with
   * SMOKER_TOPIC=smoker_csv the pipeline writes `smoker_csv`, so the page must read it too).
   */
  panelsFor?(env: AppOptions['env']): PanelSpec[];
  /** Requests the dashboard answers for the app, by name (see AppAction). */
  actions?: Record<string, AppAction>;
}

/** The app's panels under the settings its pipeline runs with (see AppDefinition.panelsFor). */
export function panelsOf(app: Pick<AppDefinition, 'panels' | 'panelsFor'>, env: AppOptions['env']): PanelSpec[] {
  return app.panelsFor ? app.panelsFor(env) : app.panels;
}
