import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buzzApp } from '../../src/apps/buzz/index.ts';
import { smokerApp } from '../../src/apps/smoker/index.ts';
import { LocalBroker } from '../../src/brokers/local/index.ts';
import type { AppDefinition, PipelineSpec } from '../../src/core/app.ts';
import { sleep } from '../../src/core/backoff.ts';
import type { Sink, Source, SourceItem, TaskProcessor } from '../../src/core/connector.ts';
import { ErrorCodes, RunnelError } from '../../src/core/errors.ts';
import { silentLogger } from '../../src/core/log.ts';
import { type RunningPipeline, runPipeline } from '../../src/core/pipeline.ts';
import type { StreamRecord } from '../../src/core/record.ts';
import type { AlertData } from '../../src/panels/alert/options.ts';
import type { CountsData } from '../../src/panels/bar/options.ts';
import type { HistogramData } from '../../src/panels/histogram/options.ts';
import type { SeriesData } from '../../src/panels/line/options.ts';
import type { StatData } from '../../src/panels/stat/options.ts';
import type { TableData } from '../../src/panels/table/options.ts';

export { buzzApp, smokerApp };

/** The shipped panel types' data, told apart by kind (the wire type is open: each type owns its shape). */
export type KnownPanelData = SeriesData | CountsData | HistogramData | AlertData | TableData | StatData;

/** The app's real processors, built as `runnel run` builds them (settings from `env`, as from `.env`). */
export function appProcessors(app: AppDefinition, env: Record<string, string> = {}): TaskProcessor[] {
  const spec = app.build({ dataDir: mkdtempSync(join(tmpdir(), 'runnel-app-')), sinks: [], env });
  if (spec instanceof Promise) throw new Error(`${app.name} builds asynchronously`);
  return spec.processors;
}

export async function tempBroker(): Promise<{ broker: LocalBroker; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-dash-'));
  const broker = new LocalBroker(`local:${join(dir, 'broker.db')}`);
  await broker.connect();
  return { broker, dir };
}

/** Seeded, so every run draws the same charts. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AUTHORS = ['Alice', 'Bob', 'Charlie', 'Eve'];
const ACTIONS = ['found', 'saw', 'tried', 'shared', 'loved'];
const TOPICS: Array<[string, string]> = [
  ['a movie', 'entertainment'],
  ['a recipe', 'food'],
  ['a book', 'literature'],
  ['a game', 'gaming'],
  ['a song', 'music'],
  ['a trip', 'travel'],
  ['a new gadget', 'technology'],
];
const ADJECTIVES = ['amazing', 'funny', 'boring', 'exciting', 'weird'];

/** A buzz message shaped like the seeds' generator (message, author, timestamp, category, sentiment, …). */
export function buzzMessage(r: () => number, now = Date.now()): Record<string, unknown> {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const [topic, category] = pick(TOPICS);
  const message = `I just ${pick(ACTIONS)} ${topic}! It was ${pick(ADJECTIVES)}.`;
  return {
    message,
    author: pick(AUTHORS),
    timestamp: new Date(now).toISOString().replace('T', ' ').slice(0, 19),
    category,
    sentiment: Math.round(r() * 100) / 100,
    keyword_mentioned: topic.split(' ').pop(),
    message_length: message.length,
  };
}

/** Buzz messages at `rate`/s until stopped (the lead's `generator` source does this for real apps). */
export function buzzSource(rate: number, seed = 7): Source {
  const r = rng(seed);
  return {
    name: 'test-buzz-generator',
    async *read(ctx) {
      while (!ctx.signal.aborted) {
        const n = Math.max(1, Math.round(rate / 10));
        yield Array.from({ length: n }, (): SourceItem => ({ kind: 'record', record: { value: buzzMessage(r) } }));
        await sleep(100, ctx.signal).catch(() => {});
      }
    },
  };
}

/**
 * Smoker readings a minute apart in event time: a warm-up, one malformed row (dead letter), then a
 * stall held for as long as `control.stall` is true, then the climb. The test decides when the stall
 * ends, so the banner is seen however slow the machine.
 */
export function smokerSource(control: { stall: boolean; perSecond: number }): Source {
  const start = Date.UTC(2025, 0, 1, 12, 0, 0);
  return {
    name: 'test-smoker-csv',
    async *read(ctx) {
      let t = 70;
      let minute = 0;
      let phase: 'warm' | 'stall' | 'push' = 'warm';
      while (!ctx.signal.aborted) {
        const at = start + minute * 60_000;
        const timestamp = new Date(at).toISOString().replace('T', ' ').slice(0, 19);
        if (minute === 12) {
          yield [
            {
              kind: 'invalid',
              error: new RunnelError(ErrorCodes.INPUT_MALFORMED, 'column "temperature" is not a number: "n/a"'),
              raw: `${timestamp},n/a`,
              position: 'smoker.csv:13',
            },
          ];
        }
        if (phase === 'warm' && t >= 160) phase = 'stall';
        if (phase === 'stall' && !control.stall) phase = 'push';
        if (phase === 'warm') t += (162 - t) * 0.09 + 0.3;
        else if (phase === 'stall') t = 160 + [0, 0.1, 0.1, 0][minute % 4]!;
        else t = Math.min(203, t + 0.6);
        yield [
          { kind: 'record', record: { value: { timestamp, temperature: Math.round(t * 10) / 10 }, timestamp: at } },
        ];
        minute++;
        await sleep(1000 / control.perSecond, ctx.signal).catch(() => {});
      }
    },
  };
}

/** A sink that fails while `control.failing` (its target "unreachable"), so the overview shows retrying. */
export function flakySink(control: { failing: boolean }): Sink & { written: StreamRecord[] } {
  const written: StreamRecord[] = [];
  return {
    name: 'test-archive',
    target: 'archive://buzz',
    written,
    async open() {},
    async write(records) {
      if (control.failing)
        throw new RunnelError(ErrorCodes.SINK_UNAVAILABLE, 'archive unreachable: connection refused (127.0.0.1:9)', {
          retriable: true,
        });
      written.push(...records);
      return undefined;
    },
    async close() {},
  };
}

export interface TestApps {
  buzz: RunningPipeline;
  smoker: RunningPipeline;
  smokerControl: { stall: boolean; perSecond: number };
  sinkControl: { failing: boolean };
  stop(): Promise<void>;
}

/** The buzz and smoker pipelines with their real processors and the apps' real topics, on `broker`. */
export function runTestApps(
  broker: LocalBroker,
  _dir: string,
  o: { buzzRate?: number; smokerPerSecond?: number } = {},
): TestApps {
  const smokerControl = { stall: true, perSecond: o.smokerPerSecond ?? 8 };
  const sinkControl = { failing: false };
  const controller = new AbortController();
  const buzzSpec: PipelineSpec = {
    app: 'buzz',
    topics: { buzz: { partitions: 1 }, 'buzz.stats': { partitions: 1 } },
    sources: [{ source: buzzSource(o.buzzRate ?? 20), topic: 'buzz' }],
    processors: appProcessors(buzzApp),
    sinks: [{ sink: flakySink(sinkControl), topic: 'buzz' }],
  };
  const smokerSpec: PipelineSpec = {
    app: 'smoker',
    topics: { smoker: { partitions: 1 }, 'smoker.alerts': { partitions: 1 } },
    sources: [{ source: smokerSource(smokerControl), topic: 'smoker' }],
    processors: appProcessors(smokerApp, { SMOKER_ROLLING_WINDOW_SIZE: '10', SMOKER_STALL_THRESHOLD_F: '0.2' }),
    sinks: [],
  };
  const run = (spec: PipelineSpec) =>
    runPipeline({
      broker,
      spec,
      log: silentLogger,
      signal: controller.signal,
      statusIntervalMs: 500,
    });
  const buzz = run(buzzSpec);
  const smoker = run(smokerSpec);
  return {
    buzz,
    smoker,
    smokerControl,
    sinkControl,
    async stop() {
      controller.abort();
      await Promise.allSettled([buzz.done, smoker.done]);
    },
  };
}
