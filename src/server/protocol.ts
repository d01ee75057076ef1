/**
 * What the dashboard server sends the browser. The front end imports these types only (erased at
 * build), so the wire format has one definition.
 */
import type { PanelSpec } from '../core/app.ts';
import type { ComponentStatus } from '../core/status.ts';

/**
 * A panel's data on the wire. Each panel type defines its own shape in src/panels/<type>/options.ts,
 * told apart by `kind` (`series`, `counts`, …, or `{ kind: 'module', type, data }`); the server and the
 * page pass it through untouched, so a new panel type adds nothing here.
 */
export type PanelData = { kind: string } & Record<string, unknown>;

/** What a flush sends: the type's own delta (a series appends, the others replace their data). */
export type PanelDelta = PanelData;

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
  /** When a component of this app last reported (wall clock, ms), also after its components are forgotten. */
  lastSeen?: number;
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

/** A group whose lag is at most this many seconds of its topic's input, or this many records, keeps up. */
export const LAG_OK_SECONDS = 10;
export const LAG_OK_RECORDS = 1000;

export interface GroupStat {
  group: string;
  topic: string;
  committed: number;
  end: number;
  lag: number;
  /**
   * Falling behind, not just a step behind: more than LAG_OK_SECONDS of its topic's input (and more than
   * LAG_OK_RECORDS) waits. A batch-shaped source (stopcovid's 10,000 positions a tick) leaves a normal lag of
   * a whole batch between two commits.
   */
  behind: boolean;
}

export interface Overview {
  ts: number;
  apps: AppView[];
  topics: TopicStat[];
  groups: GroupStat[];
  /**
   * What the counts (topic sizes, rates, lag) count: offsets where not every offset is a record (Kafka's
   * transaction markers take some; see Broker.offsetsAreRecords).
   */
  unit: 'records' | 'offsets';
  /** `behind`: the groups falling behind (GroupStat.behind). */
  totals: { rate: number; records: number; dlq: number; maxLag: number; behind: number; running: number };
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
