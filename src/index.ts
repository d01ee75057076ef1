// biome-ignore-all assist/source/organizeImports: the public surface reads in sections, not alphabetically
/**
 * runnel: real-time streaming data in TypeScript. The public API: everything a user's pipeline (and every
 * built-in app) is written with. Internals are not exported.
 * @module
 */

// The built-in brokers and connectors register themselves by name on import.
import './brokers/index.ts';
import './connectors/sources/index.ts';
import './connectors/sinks/index.ts';

// --- Apps: declare one, run it with `runnel run ./my-pipeline.ts` ---
export { type AppConfig, type AppSink, defineApp } from './apps/define-app.ts';
export { SINK_KINDS, type SinkKind } from './core/app.ts';
export type {
  AppAction,
  AppActionContext,
  AppDefinition,
  AppFlag,
  AppOptions,
  AppPrint,
  PanelSpec,
} from './core/app.ts';
// Settings the way the seeds' `.env` files give them, `--from` input, and an app's generated sample file.
export { type Column, type Env, ensureFile, envNumber, rateFromInterval, sourceFrom } from './apps/settings.ts';

// --- The dataflow: streams, keyed state, tables ---
export { type StreamOptions, TopologyBuilder } from './processing/dsl/topology.ts';
export {
  type FlushContext,
  KeyedStream,
  type ProcessContext,
  type RecordMeta,
  Stream,
  Table,
  type WatermarkContext,
} from './processing/dsl/stream.ts';
export {
  type MapStore,
  type MapStoreSpec,
  mapStore,
  type ValueStore,
  type ValueStoreSpec,
  valueStore,
} from './processing/dsl/stores.ts';

// --- Time and windows ---
export { AggBuilder, WindowedStream, type WindowOptions } from './processing/dsl/windowed.ts';
export {
  hopping,
  hoppingCount,
  session,
  sliding,
  slidingCount,
  tumbling,
  tumblingCount,
  type WindowSpec,
} from './processing/windows/window-spec.ts';
export type { WindowOutput } from './processing/windows/window-operator.ts';
export type { Aggregator } from './processing/aggregations/aggregator.ts';
/** A timestamp text as ms: ISO 8601, the seeds' zone-less `YYYY-MM-DD hh:mm:ss` (UTC), or epoch s/ms. */
export { parseTimestamp } from './core/event-time.ts';

// --- Processors that ship: alert rules (episodes) and sentiment ---
export * as alerts from './processing/alerts/index.ts';
export { scoreSentiment, toUnitScale } from './processing/sentiment/index.ts';

// --- Connectors: sources and sinks by name (csv, generator, http, json, kafka; jsonl, sqlite, duckdb, postgres, kafka) ---
export { listConnectors } from './core/connector-registry.ts';
export { type SinkConfigs, type SourceConfigs, sink, source } from './connectors/configs.ts';
export type {
  ReplayInput,
  Sink,
  SinkWriteOptions,
  SinkWriteResult,
  Source,
  SourceContext,
  SourceItem,
} from './core/connector.ts';
/** A CSV text's records with the line each starts on (a quoted field may hold newlines), for an app's own reader. */
export { type CsvRecordText, csvRecordTexts } from './connectors/sources/csv/records.ts';

// --- Replays: a source that paces with a Pacer on ctx.control (and says so in pacing()) gets the
// dashboard's Pause/Resume and speed controls ---
export { Pacer, paced, pacerFor } from './connectors/sources/pacing.ts';
export { type Pacing, ReplayControl, type ReplayState } from './core/replay-control.ts';
/** A file source's `replay()`: what lets a later run go on after what an earlier one made durable. */
export { fileReplay } from './core/runners/replay-resume.ts';

// --- Records, brokers, logging and errors ---
export type { OutgoingRecord, StreamRecord } from './core/record.ts';
export { valueAt } from './core/value-path.ts';
export type { Broker, ProduceOptions, TopicConfig } from './core/broker.ts';
export type { Logger } from './core/log.ts';
export { ErrorCodes, isRunnelError, RunnelError } from './core/errors.ts';

// --- Schemas: zod, the same instance runnel validates with ---
export { z } from 'zod';
