import type { AppDefinition } from '../core/app.ts';
import type { Broker } from '../core/broker.ts';
import { isInternalTopic } from '../core/internal-topics.ts';
import type { StreamRecord } from '../core/record.ts';
import { type ComponentStatus, ended, STATUS_TOPIC, statusOf } from '../core/status.ts';
import {
  type AppView,
  type ComponentView,
  type GroupStat,
  LAG_OK_RECORDS,
  LAG_OK_SECONDS,
  type Overview,
  type TopicStat,
} from './protocol.ts';
import type { Tailer } from './tailer.ts';

/** A component silent for longer than this (status comes every second) is shown as stale. */
const STALE_MS = 5_000;
/** Finished or vanished components stay listed this long, so a crash is seen, then forgotten. */
const FORGET_MS = 10 * 60_000;
const RATE_WINDOW_MS = 3_000;
const SPARK_POINTS = 60;
/** Status records read per call when looking for the last run of each app at start. */
const SCAN_BATCH = 2000;

/**
 * The health of everything on the broker: topic sizes and records/s (from end-offset deltas, so it
 * costs one metadata call, not reading the data), consumer-group lag, and the status every running
 * pipeline publishes on `_runnel.status`, from this process or any other.
 */
export class OverviewModel {
  readonly #broker: Broker;
  readonly #apps: AppDefinition[];
  /**
   * Each component's latest status, when it was published (`ts` is its last activity, not its last word)
   * and when this component of this pipeline was first heard of.
   */
  readonly #statuses = new Map<string, { status: ComponentStatus; seen: number; first: number }>();
  /**
   * The oldest status the dashboard had at its start: a component first seen within STALE_MS of it may
   * have run before (its older reports were not in the history), so it replaces nobody (withoutReplaced).
   */
  #since = 0;
  /** When each app last reported, kept after its components are forgotten: "last ran 20 min ago". */
  readonly #lastSeen = new Map<string, number>();
  readonly #samples = new Map<string, Array<[number, number]>>();
  readonly #spark = new Map<string, number[]>();
  #current: Overview = {
    ts: 0,
    unit: 'records',
    apps: [],
    topics: [],
    groups: [],
    totals: { rate: 0, records: 0, dlq: 0, maxLag: 0, behind: 0, running: 0 },
  };
  #close: (() => void) | undefined;

  constructor(broker: Broker, apps: AppDefinition[]) {
    this.#broker = broker;
    this.#apps = apps;
  }

  async start(tailer: Tailer): Promise<void> {
    const sub = await tailer.subscribe(STATUS_TOPIC, (records) => this.#takeStatus(records));
    // Best effort: without it an app that ran long ago is only shown as not running.
    await this.#scanLastSeen().catch(() => {});
    this.#since = Math.min(Date.now(), ...sub.history.map((r) => r.timestamp));
    this.#takeStatus(sub.history);
    this.#close = sub.close;
    await this.refresh();
  }

  stop(): void {
    this.#close?.();
  }

  current(): Overview {
    return this.#current;
  }

  /** The current figures, refreshed first when older than a second (nobody was watching). */
  async fresh(now = Date.now()): Promise<Overview> {
    return now - this.#current.ts > 1000 ? this.refresh(now) : this.#current;
  }

  topic(name: string): TopicStat | undefined {
    return this.#current.topics.find((t) => t.name === name);
  }

  #takeStatus(records: StreamRecord[]): void {
    for (const r of records) {
      const s = statusOf(r);
      if (!s) continue;
      // Published every second even when idle: staleness is silence, not a quiet topic (an alerts sink
      // with no stall yet is alive).
      const seen = Math.max(r.timestamp, s.ts);
      const key = `${s.pipeline}/${s.component}/${s.name}`;
      this.#statuses.set(key, { status: s, seen, first: this.#statuses.get(key)?.first ?? seen });
      this.#noteSeen(s.app, seen);
    }
  }

  #noteSeen(app: string, seen: number): void {
    if (seen > (this.#lastSeen.get(app) ?? 0)) this.#lastSeen.set(app, seen);
  }

  /**
   * The tail's history is the newest few hundred status records, which a busy app fills in minutes; the
   * topic keeps an hour (STATUS_RETENTION_MS), so one pass over it finds when every other app last ran.
   */
  async #scanLastSeen(): Promise<void> {
    const info = await this.#broker.describeTopic(STATUS_TOPIC).catch(() => undefined);
    for (const p of info?.partitions ?? []) {
      for (let off = p.startOffset; off < p.endOffset; ) {
        const batch = await this.#broker.read(STATUS_TOPIC, p.partition, off, Math.min(SCAN_BATCH, p.endOffset - off));
        if (batch.length === 0) break;
        for (const r of batch) {
          const s = statusOf(r);
          if (s) this.#noteSeen(s.app, Math.max(r.timestamp, s.ts));
        }
        off = batch[batch.length - 1]!.offset + 1;
      }
    }
  }

  async refresh(now = Date.now()): Promise<Overview> {
    const [infos, groups] = await Promise.all([this.#broker.listTopics(), this.#broker.listGroups()]);
    const totals = new Map(infos.map((t) => [t.name, t.partitions.reduce((n, p) => n + p.endOffset, 0)]));
    /** Records/s over the last LAG_OK_SECONDS, once a topic has been looked at twice. */
    const steady = new Map<string, number>();
    const topics: TopicStat[] = infos.map((t) => {
      const total = totals.get(t.name)!;
      const rates = this.#rate(t.name, total, now);
      if (rates.steady !== undefined) steady.set(t.name, rates.steady);
      return {
        name: t.name,
        partitions: t.partitions.length,
        total,
        held: t.partitions.reduce((n, p) => n + p.endOffset - p.startOffset, 0),
        rate: rates.rate,
        history: this.#spark.get(t.name) ?? [],
        internal: isInternalTopic(t.name),
        dlq: totals.get(`${t.name}.dlq`) ?? 0,
      };
    });
    const byGroup = new Map<string, GroupStat>();
    for (const g of groups) {
      const k = `${g.group}\u0000${g.topic}`;
      const cur = byGroup.get(k) ?? { group: g.group, topic: g.topic, committed: 0, end: 0, lag: 0, behind: false };
      cur.committed += g.committed;
      cur.end += g.endOffset;
      cur.lag += g.lag;
      byGroup.set(k, cur);
    }
    // Over LAG_OK_SECONDS, not the displayed few: a source of ticks seconds apart reads 0/s between them.
    // Not before a topic's rate is known: at the dashboard's start every busy group would look behind.
    for (const g of byGroup.values()) {
      const rate = steady.get(g.topic);
      g.behind = rate !== undefined && g.lag > Math.max(LAG_OK_RECORDS, rate * LAG_OK_SECONDS);
    }
    const apps = this.#appViews(now, totals);
    const plain = topics.filter((t) => !t.internal && !t.name.endsWith('.dlq'));
    this.#current = {
      ts: now,
      unit: this.#broker.offsetsAreRecords ? 'records' : 'offsets',
      apps,
      topics,
      groups: [...byGroup.values()],
      totals: {
        rate: plain.reduce((n, t) => n + t.rate, 0),
        records: plain.reduce((n, t) => n + t.total, 0),
        dlq: topics.filter((t) => t.name.endsWith('.dlq')).reduce((n, t) => n + t.total, 0),
        maxLag: Math.max(0, ...[...byGroup.values()].map((g) => g.lag)),
        behind: [...byGroup.values()].filter((g) => g.behind).length,
        running: apps.filter((a) => a.running).length,
      },
    };
    return this.#current;
  }

  /**
   * Records/s over the last few seconds (`rate`, shown; it also feeds a one-value-a-second sparkline) and
   * over the last LAG_OK_SECONDS (`steady`, which the lag is weighed against), once there are two samples.
   */
  #rate(topic: string, total: number, now: number): { rate: number; steady?: number } {
    const samples = this.#samples.get(topic) ?? [];
    samples.push([now, total]);
    while (samples.length > 2 && now - samples[0]![0] > LAG_OK_SECONDS * 1000) samples.shift();
    this.#samples.set(topic, samples);
    const since = ([t, n]: [number, number]) => (now > t ? Math.max(0, ((total - n) * 1000) / (now - t)) : 0);
    let recent = 0;
    while (recent < samples.length - 2 && now - samples[recent]![0] > RATE_WINDOW_MS) recent++;
    const rate = since(samples[recent]!);
    // The first sample has nothing to compare with: no point rather than a false 0.
    if (samples.length < 2) return { rate };
    const spark = this.#spark.get(topic) ?? [];
    spark.push(rate);
    if (spark.length > SPARK_POINTS) spark.shift();
    this.#spark.set(topic, spark);
    return { rate, steady: since(samples[0]!) };
  }

  #appViews(now: number, totals: Map<string, number>): AppView[] {
    for (const [k, s] of this.#statuses) if (now - s.seen > FORGET_MS) this.#statuses.delete(k);
    const components = withoutReplaced([...this.#statuses.values()], now, this.#since + STALE_MS).map(
      ({ status, seen }): ComponentView => ({ ...status, stale: now - seen > STALE_MS }),
    );
    const names = [...new Set([...this.#apps.map((a) => a.name), ...components.map((c) => c.app)])];
    return names.map((name) => {
      const def = this.#apps.find((a) => a.name === name);
      const mine = components
        .filter((c) => c.app === name)
        .sort((a, b) => order(a.component) - order(b.component) || a.name.localeCompare(b.name));
      const topics = [
        ...new Set([...(def?.panels.map((p) => p.topic) ?? []), ...mine.flatMap((c) => c.topics)]),
      ].sort();
      return {
        name,
        title: def?.title ?? name,
        declared: def !== undefined,
        running: mine.some((c) => !c.stale && !ended(c.state)),
        ...(this.#lastSeen.has(name) ? { lastSeen: this.#lastSeen.get(name)! } : {}),
        components: mine,
        topics,
        dlq: topics.reduce((n, t) => n + (totals.get(`${t}.dlq`) ?? 0), 0),
      };
    });
  }
}

/**
 * The components without those a later run took over: one that is over (ended, or silent) is left out once
 * the same component of the same app started in another pipeline after its last report (a restart, after a
 * stop or a crash). One that fell silent beside a sibling that runs on (a scale-out worker killed while the
 * others go on) stays, so the crash is seen until it is restarted: the sibling started before it went quiet.
 * Only a component first seen after `startedAfter` is known to have started then.
 */
function withoutReplaced<T extends { status: ComponentStatus; seen: number; first: number }>(
  all: T[],
  now: number,
  startedAfter: number,
): T[] {
  // Running still (reporting, not ended): never taken over, though a sibling started after its last report.
  const over = (c: T) => ended(c.status.state) || now - c.seen > STALE_MS;
  return all.filter(
    (old) =>
      !all.some(
        (next) =>
          next.status.pipeline !== old.status.pipeline &&
          next.status.app === old.status.app &&
          next.status.component === old.status.component &&
          next.status.name === old.status.name &&
          next.first > old.seen &&
          next.first > startedAfter &&
          over(old),
      ),
  );
}

const order = (kind: string): number => ['source', 'processor', 'sink'].indexOf(kind);
