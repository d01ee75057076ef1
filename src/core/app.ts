import type { z } from 'zod';
import type { TopicConfig } from './broker.ts';
import type { Processor, Sink, Source } from './connector.ts';

/** A dashboard panel, declared by the app so new apps add panels without touching the dashboard. */
export interface PanelSpec {
  id: string;
  title: string;
  /** line: value over time; bar: counts by a field; histogram: distribution of a numeric field;
   * alert: banner while the latest record of the topic says active; table: latest records. */
  type: 'line' | 'cumulative' | 'bar' | 'histogram' | 'alert' | 'table' | 'stat';
  topic: string;
  /** Field names inside the record value (dot paths), meaning depends on `type`. */
  fields: { x?: string; y?: string; group?: string; label?: string; active?: string; columns?: string[] };
  /** Extra display hints (colour zones, marks), free-form per type. */
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
}

/** Everything an app runs; `runnel run` starts all of it, `produce`/`consume` split it across processes. */
export interface PipelineSpec {
  app: string;
  topics: Record<string, TopicConfig>;
  sources: SourceBinding[];
  processors: Processor[];
  sinks: SinkBinding[];
}

export interface AppOptions {
  /** Folder for sink output (`<dataDir>/<app>.sqlite`, `<dataDir>/<topic>.jsonl`). */
  dataDir: string;
  /** Sink kinds to attach, e.g. ['jsonl', 'sqlite', 'duckdb']. */
  sinks: string[];
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
  /** Seed for apps with randomness, so runs are reproducible. */
  seed?: number;
  /** Settings from the environment and `.env` (seed projects' keys honoured). */
  env: Record<string, string | undefined>;
}

export interface AppDefinition {
  name: string;
  title: string;
  description: string;
  build(options: AppOptions): PipelineSpec | Promise<PipelineSpec>;
  /** The dashboard's panels with the default settings. */
  panels: PanelSpec[];
  /**
   * The panels under the settings a pipeline runs with, for an app whose topics follow them (with
   * SMOKER_TOPIC=smoker_csv the pipeline writes `smoker_csv`, so the page must read it too).
   */
  panelsFor?(env: AppOptions['env']): PanelSpec[];
}
