/**
 * What the dashboard server sends the browser. The front end imports these types only (erased at
 * build), so the wire format has one definition.
 */
import type { PanelSpec } from '../core/app.ts';
import type { ComponentStatus } from '../core/status.ts';

/** [x (event time, ms), y] */
export type Point = [number, number];

/** A stall (or any start/end event) drawn on a line: `end` is missing while it lasts. */
export interface Mark {
  start: number;
  end?: number;
  /** y at the start, so the chart can dot the line there. */
  y?: number;
  label?: string;
}

export type PanelData =
  | { kind: 'series'; points: Point[]; total: number; average?: number; marks: Mark[] }
  | { kind: 'counts'; entries: Array<[string, number]>; total: number }
  | {
      kind: 'histogram';
      bins: Array<[number, number, number]>;
      marks: Array<{ label: string; value: number }>;
      total: number;
    }
  | {
      kind: 'alert';
      active: boolean;
      label?: string;
      since?: number;
      detail?: Record<string, unknown>;
      count: number;
    }
  | { kind: 'table'; rows: RecordView[] }
  | { kind: 'stat'; value: number | string | null; at?: number };

/** Series deltas append (or restart after a replay went back in time); other kinds replace. */
export type PanelDelta =
  | { kind: 'series'; points: Point[]; reset?: boolean; total: number; average?: number; marks: Mark[] }
  | Exclude<PanelData, { kind: 'series' }>;

export interface RecordView {
  partition: number;
  offset: number;
  key: string | null;
  timestamp: number;
  headers: Record<string, string>;
  /** The value, or a string preview when it is large (`truncated`); the full record is one GET away. */
  value: unknown;
  truncated?: boolean;
}

export interface AppInfo {
  name: string;
  title: string;
  description: string;
  panels: PanelSpec[];
}

export interface Info {
  apps: AppInfo[];
  broker: { kind: string; url: string };
  auth: boolean;
}

export interface ComponentView extends ComponentStatus {
  /** No status for a while: the process is gone or stuck. */
  stale: boolean;
}

export interface AppView {
  name: string;
  title: string;
  /** Declared by this runnel build (false: only seen in status records from another process). */
  declared: boolean;
  running: boolean;
  components: ComponentView[];
  topics: string[];
  dlq: number;
}

export interface TopicStat {
  name: string;
  partitions: number;
  /** Records ever appended (sum of end offsets). */
  total: number;
  /** Records still held after retention. */
  held: number;
  /** Records/s over the last few seconds, from end-offset deltas. */
  rate: number;
  /** Records/s, one value a second, oldest first (sparkline). */
  history: number[];
  internal: boolean;
  /** `<topic>.dlq` size when this topic has a dead-letter topic. */
  dlq: number;
}

export interface GroupStat {
  group: string;
  topic: string;
  committed: number;
  end: number;
  lag: number;
}

export interface Overview {
  ts: number;
  apps: AppView[];
  topics: TopicStat[];
  groups: GroupStat[];
  totals: { rate: number; records: number; dlq: number; maxLag: number; running: number };
}

export interface AppSnapshot {
  app: AppInfo;
  data: Record<string, PanelData>;
}

export interface TopicSnapshot {
  topic: string;
  exists: boolean;
  filter: string;
  records: RecordView[];
  stat?: TopicStat;
}

export interface TopicDelta {
  records: RecordView[];
  /** Matching records not sent because too many arrived in one tick. */
  skipped: number;
  stat?: TopicStat;
}
