import type { AppDefinition } from '../core/app.ts';
import type { StreamRecord } from '../core/record.ts';
import { type Aggregator, createAggregator } from './panels/index.ts';
import type { AppSnapshot, PanelDelta } from './protocol.ts';
import type { SseClient } from './sse.ts';
import type { Tailer } from './tailer.ts';

/** Older points sampled for series panels opened late, besides the detailed recent history. */
const SAMPLES = 300;

/**
 * The live state of one app's panels, shared by every browser showing that app: one aggregator per
 * panel, fed by shared topic tails. Built on first view, kept a while after the last one leaves.
 */
export class AppSession {
  readonly app: AppDefinition;
  readonly clients = new Set<SseClient>();
  idleSince: number | undefined;
  readonly #aggs = new Map<string, Aggregator>();
  readonly #closers: Array<() => void> = [];

  private constructor(app: AppDefinition) {
    this.app = app;
    for (const p of app.panels) this.#aggs.set(p.id, createAggregator(p, app.name));
  }

  static async open(app: AppDefinition, tailer: Tailer): Promise<AppSession> {
    const s = new AppSession(app);
    const aggs = [...s.#aggs.values()];
    const topics = [...new Set(aggs.flatMap((a) => a.topics))];
    // Live records that arrive while later topics are still loading wait here, so every aggregator sees
    // its history first and live records after, in order.
    let ready = false;
    const early: StreamRecord[][] = [];
    const history = new Map<string, StreamRecord[]>();
    const seriesTopics = new Set(
      app.panels.filter((p) => p.type === 'line' || p.type === 'cumulative').map((p) => p.topic),
    );
    for (const topic of topics) {
      const older = seriesTopics.has(topic) ? await tailer.sample(topic, SAMPLES) : [];
      const sub = await tailer.subscribe(topic, (records) => {
        if (ready) s.#feed(records);
        else early.push(records);
      });
      s.#closers.push(sub.close);
      history.set(topic, inOrder([...older, ...sub.history]));
    }
    // Each aggregator gets its own topic's history before the topics it reads marks or averages from.
    for (const agg of aggs) {
      for (const topic of agg.topics) agg.add(history.get(topic) ?? []);
      agg.commitHistory();
    }
    for (const batch of early) s.#feed(batch);
    ready = true;
    return s;
  }

  #feed(records: StreamRecord[]): void {
    const topic = records[0]?.topic;
    for (const agg of this.#aggs.values()) if (topic !== undefined && agg.topics.includes(topic)) agg.add(records);
  }

  snapshot(): AppSnapshot {
    const data: AppSnapshot['data'] = {};
    for (const [id, agg] of this.#aggs) data[id] = agg.snapshot();
    const { name, title, description, panels } = this.app;
    return { app: { name, title, description, panels }, data };
  }

  /** Deltas of every panel that changed this tick, sent once to every browser on this app. */
  flush(): void {
    const deltas: Record<string, PanelDelta> = {};
    let any = false;
    for (const [id, agg] of this.#aggs) {
      const d = agg.flush();
      if (d) {
        deltas[id] = d;
        any = true;
      }
    }
    if (any) for (const c of this.clients) c.send('delta', deltas);
  }

  close(): void {
    for (const c of this.#closers) c();
    for (const c of this.clients) c.close();
  }
}

/**
 * One partition is already in offset order, and a replayed file restarting its event time must stay
 * in that order; several partitions are merged by event time.
 */
function inOrder(records: StreamRecord[]): StreamRecord[] {
  const partitions = new Set(records.map((r) => r.partition));
  if (partitions.size <= 1) return records.sort((a, b) => a.offset - b.offset);
  return records.sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset);
}
