import type { AppDefinition } from '../core/app.ts';
import type { Logger } from '../core/log.ts';
import type { StreamRecord } from '../core/record.ts';
import { AppSession } from './app-session.ts';
import type { OverviewModel } from './overview.ts';
import type { RecordView, TopicSnapshot } from './protocol.ts';
import { recordFilter, toView } from './records.ts';
import type { SseClient } from './sse.ts';
import type { Tailer } from './tailer.ts';

export const TICK_MS = 250;
/** Records a topic view shows on load, and the most sent in one tick (the newest; the rest are counted). */
export const TOPIC_ROWS = 200;
const LINGER_MS = 60_000;
const PING_MS = 15_000;

interface TopicClient {
  client: SseClient;
  topic: string;
  pending: RecordView[];
  skipped: number;
}

/**
 * Live push: every tick (250 ms) the shared tails are polled once, each app's panels flush one delta
 * to every browser on that app, and topic views get their newest matching records. Browsers never get
 * a message per record, so 10,000 records/s cost them a few small events a second.
 */
export class LiveHub {
  readonly #tailer: Tailer;
  readonly #overview: OverviewModel;
  readonly #apps: AppDefinition[];
  readonly #log: Logger;
  readonly #sessions = new Map<string, Promise<AppSession>>();
  readonly #overviewClients = new Set<SseClient>();
  readonly #topicClients = new Set<TopicClient>();
  #timer: NodeJS.Timeout | undefined;
  #ticks = 0;
  #lastError = '';
  #stopped = false;

  constructor(tailer: Tailer, overview: OverviewModel, apps: AppDefinition[], log: Logger) {
    this.#tailer = tailer;
    this.#overview = overview;
    this.#apps = apps;
    this.#log = log;
  }

  start(): void {
    const loop = async () => {
      const started = Date.now();
      await this.#tick().catch((err: unknown) => {
        const msg = (err as Error).message;
        // One line per distinct failure: a broker outage must not flood the terminal 4 times a second.
        if (msg !== this.#lastError) this.#log.warn(`dashboard: ${msg}`);
        this.#lastError = msg;
      });
      if (!this.#stopped) this.#timer = setTimeout(loop, Math.max(10, TICK_MS - (Date.now() - started)));
    };
    this.#timer = setTimeout(loop, TICK_MS);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const c of this.#overviewClients) c.close();
    for (const t of this.#topicClients) t.client.close();
    for (const s of this.#sessions.values()) (await s.catch(() => undefined))?.close();
  }

  async #tick(): Promise<void> {
    this.#ticks++;
    await this.#tailer.poll();
    this.#lastError = '';
    const now = Date.now();
    for (const [name, p] of this.#sessions) {
      const s = await p.catch(() => undefined);
      if (!s) continue;
      if (s.clients.size === 0 && s.idleSince !== undefined && now - s.idleSince > LINGER_MS) {
        s.close();
        this.#sessions.delete(name);
      } else s.flush();
    }
    const perSecond = this.#ticks % Math.round(1000 / TICK_MS) === 0;
    // Broker metadata (topics, groups) is read only while someone looks; REST calls refresh on demand.
    if (perSecond && (this.#overviewClients.size > 0 || this.#topicClients.size > 0)) {
      const overview = await this.#overview.refresh(now);
      for (const c of this.#overviewClients) c.send('overview', overview);
    }
    for (const t of this.#topicClients) {
      if (t.pending.length > 0 || t.skipped > 0 || perSecond) {
        const stat = perSecond ? this.#overview.topic(t.topic) : undefined;
        t.client.send('delta', { records: t.pending, skipped: t.skipped, ...(stat ? { stat } : {}) });
        t.pending = [];
        t.skipped = 0;
      }
    }
    if (this.#ticks % Math.round(PING_MS / TICK_MS) === 0) {
      for (const c of [...this.#overviewClients, ...[...this.#topicClients].map((t) => t.client)]) c.ping();
      for (const p of this.#sessions.values())
        for (const c of (await p.catch(() => undefined))?.clients ?? []) c.ping();
    }
  }

  /** The app's live session (created on first use), e.g. for `/api/apps/:name`. */
  session(name: string): Promise<AppSession> | undefined {
    const app = this.#apps.find((a) => a.name === name);
    if (!app) return undefined;
    let s = this.#sessions.get(name);
    if (!s) {
      s = AppSession.open(app, this.#tailer);
      // A failed open (broker down) is not cached: the next browser retries.
      s.catch(() => this.#sessions.delete(name));
      this.#sessions.set(name, s);
    }
    return s;
  }

  async addAppClient(name: string, client: SseClient): Promise<boolean> {
    const s = await this.session(name);
    if (!s) return false;
    client.send('snapshot', s.snapshot());
    s.clients.add(client);
    s.idleSince = undefined;
    client.onClose(() => {
      s.clients.delete(client);
      if (s.clients.size === 0) s.idleSince = Date.now();
    });
    return true;
  }

  addOverviewClient(client: SseClient): void {
    void this.#overview.fresh().then((o) => client.send('overview', o));
    this.#overviewClients.add(client);
    client.onClose(() => this.#overviewClients.delete(client));
  }

  async addTopicClient(topic: string, filter: string, client: SseClient): Promise<void> {
    const match = recordFilter(filter);
    const entry: TopicClient = { client, topic, pending: [], skipped: 0 };
    const sub = await this.#tailer.subscribe(topic, (records) => {
      for (const r of records) if (match(r)) entry.pending.push(toView(r));
      if (entry.pending.length > TOPIC_ROWS) {
        entry.skipped += entry.pending.length - TOPIC_ROWS;
        entry.pending.splice(0, entry.pending.length - TOPIC_ROWS);
      }
    });
    const stat = (await this.#overview.fresh()).topics.find((t) => t.name === topic);
    const snapshot: TopicSnapshot = {
      topic,
      exists: stat !== undefined || sub.history.length > 0,
      filter,
      records: newest(sub.history.filter(match), TOPIC_ROWS).map((r) => toView(r)),
      ...(stat ? { stat } : {}),
    };
    client.send('snapshot', snapshot);
    this.#topicClients.add(entry);
    client.onClose(() => {
      sub.close();
      this.#topicClients.delete(entry);
    });
  }
}

function newest(records: StreamRecord[], n: number): StreamRecord[] {
  return records.sort((a, b) => a.timestamp - b.timestamp || a.offset - b.offset).slice(-n);
}
