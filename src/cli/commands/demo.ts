import type { Command } from 'commander';
import { apps as builtIn, loadApp } from '../../apps/index.ts';
import type { AppDefinition } from '../../core/app.ts';
import { outputPlaces, runPipeline } from '../../core/pipeline.ts';
import { checkPlaces } from '../../core/places.ts';
import type { ComponentStatus } from '../../core/status.ts';
import { appOptions, brokerPlaces, loadEnv, logger, numberFlag, openBroker, type PipelineFlags } from '../context.ts';
import { producedSinks } from '../progress.ts';
import { stopOnSignals } from '../signals.ts';
import { sayMisspeltTopics } from '../unfed-topics.ts';

interface DemoFlags extends PipelineFlags {
  port?: number;
  host?: string;
  dashboard: boolean;
}

/** How often the demo prints its lines (one per app): the dashboard is where it is watched live. */
const SUMMARY_MS = 10_000;

/**
 * Settings the demo starts with unless the environment or `.env` sets them. Stopcovid runs its own default
 * of 10,000 people (10,000 records a second through two keyed stages: in a 75 s demo on this 2-core
 * machine it stayed one tick behind, beside the other apps and their sinks), but its positions and people
 * topics write ~150 MB a minute to the broker file: the demo keeps 15 minutes of them (about 2.2 GB), where
 * a week is the broker's default. Its people table goes to the SQL sinks only: in JSONL (which cannot update a
 * line) it was every person at every tick, 53 MB a minute that no retention trims.
 */
const DEMO_DEFAULTS: Record<string, string> = { STOPCOVID_RETENTION_MINUTES: '15', STOPCOVID_PEOPLE_JSONL: 'off' };

/** The demo's environment: its defaults under what the environment and `.env` set. */
export function demoEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return { ...DEMO_DEFAULTS, ...env };
}

/** Every app at once on one broker, with the dashboard: the one command a new user runs first. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .argument('[pipelines...]', 'your own pipeline files (./my-pipeline.ts) to run beside the built-in apps')
    .description('run every app at once and serve the live dashboard')
    .option(
      '--limit <n>',
      'stop each source after N records',
      numberFlag('--limit', (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0'),
    )
    .option(
      '--port <n>',
      'dashboard port',
      numberFlag('--port', (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'a port number'),
      8080,
    )
    .option('--host <host>', 'dashboard address (non-loopback needs the printed token)', '127.0.0.1')
    .option('--no-dashboard', 'only print live one-line summaries')
    .option('--sinks <list>', 'sinks to write: jsonl,sqlite,duckdb (default all)')
    .option('--from-start', "replay the apps' files from their start, even where an earlier demo replayed them")
    .action(async (files: string[], flags: DemoFlags) => {
      const env = demoEnv(loadEnv(flags.dotenv));
      const apps: AppDefinition[] = [...builtIn, ...(await Promise.all(files.map(loadApp)))];
      const log = logger(flags, 'demo');
      // Every app's places are checked before any app starts: one app's source must not write to the
      // broker while another app's unwritable folder fails the demo.
      const specs = await Promise.all(apps.map((app) => app.build(appOptions(flags, env))));
      // A slip in a pipeline file's topic (a sink of word-lengths.by-autor) is said as `run` says it: in a
      // demo it went unsaid, the sink empty among five apps' lines.
      for (const [i, spec] of specs.entries()) sayMisspeltTopics(spec, logger(flags, apps[i]!.name));
      checkPlaces([...brokerPlaces(flags, env), ...specs.flatMap((spec) => outputPlaces(spec))]);
      const broker = await openBroker(flags, env);
      const controller = new AbortController();
      const release = stopOnSignals(controller, log);
      const statuses = new Map<string, ComponentStatus[]>();
      let dashboard: { url: string; close(): Promise<void> } | undefined;
      try {
        if (flags.dashboard) dashboard = await startDashboardIfBuilt(broker, flags, env, log, apps);
        const runs = await Promise.all(
          apps.map(async (app, i) => {
            const spec = specs[i]!;
            return runPipeline({
              broker,
              spec,
              log: logger(flags, app.name),
              signal: controller.signal,
              ...(flags.limit === undefined ? {} : { limit: flags.limit }),
              ...(flags.fromStart ? { fromStart: true } : {}),
              onStatus: (s) => statuses.set(app.name, s),
            });
          }),
        );
        const summary = (of: Map<string, ComponentStatus[]>) => {
          for (const line of summaryLines(of)) log.info(line);
        };
        const ticker = setInterval(() => summary(statuses), SUMMARY_MS);
        ticker.unref();
        try {
          await Promise.all(runs.map((r) => r.done));
        } finally {
          clearInterval(ticker);
        }
        summary(new Map(apps.map((a, i) => [a.name, runs[i]!.statuses()])));
        // With the dashboard up, finished replays stay visible until the user stops the demo.
        if (dashboard && !controller.signal.aborted) {
          log.info(`all pipelines finished; dashboard still at ${dashboard.url} (Ctrl-C to stop)`);
          await new Promise<void>((resolve) =>
            controller.signal.addEventListener('abort', () => resolve(), { once: true }),
          );
        }
      } finally {
        release();
        await dashboard?.close();
        await broker.close();
      }
    });
}

/**
 * The demo's progress: one line per app, names aligned, so five apps read as a small table instead of one
 * 470-character line. Per app: what its sources produced, what every sink of those records holds, then the
 * topics its processors wrote (alerts, stats, windows) by the records their sinks hold, and any trouble
 * (dead letters, late records, a sink retrying).
 */
export function summaryLines(statuses: Map<string, ComponentStatus[]>): string[] {
  const width = Math.max(0, ...[...statuses.keys()].map((a) => a.length));
  const n = (x: number) => x.toLocaleString('en-US');
  return [...statuses].map(([app, list]) => {
    const sources = list.filter((s) => s.component === 'source');
    const produced = sources.reduce((k, s) => k + s.records, 0);
    const inputs = new Set(sources.flatMap((s) => s.topics));
    // "In every sink" is about the records produced; derived topics (alerts, stats) are shown by count,
    // or an app with no alert yet would read as if its sinks were stuck at 0.
    const own = producedSinks(list);
    const parts = [`${n(produced)} produced`];
    if (own.length > 0) parts.push(`${n(Math.min(...own.map((s) => s.records)))} in every sink`);
    const derived = new Map<string, number>();
    for (const s of list.filter((c) => c.component === 'sink')) {
      for (const t of s.topics) if (!inputs.has(t)) derived.set(t, Math.max(derived.get(t) ?? 0, s.records));
    }
    if (derived.size > 0) parts.push(`derived: ${[...derived].map(([t, k]) => `${t} ${n(k)}`).join(', ')}`);
    const dlq = list.reduce((k, s) => k + s.dlq, 0);
    if (dlq > 0) parts.push(`${n(dlq)} dead-lettered`);
    // Records a window read after it had closed (on the input's .late topic): otherwise a windowed app
    // whose input all came late showed its records produced and an empty window output, and nothing else.
    const late = list.reduce((k, s) => k + (s.late ?? 0), 0);
    if (late > 0) parts.push(`${n(late)} late`);
    const bad = list.filter((s) => s.state === 'retrying' || s.state === 'failed').map((s) => `${s.name} ${s.state}`);
    if (bad.length > 0) parts.push(bad.join(', '));
    return `${app.padEnd(width)}  ${parts.join(' · ')}`;
  });
}

async function startDashboardIfBuilt(
  broker: Awaited<ReturnType<typeof openBroker>>,
  flags: DemoFlags,
  env: Record<string, string | undefined>,
  log: ReturnType<typeof logger>,
  apps: AppDefinition[],
): Promise<{ url: string; close(): Promise<void> } | undefined> {
  // The dashboard server is optional at this layer: `--no-dashboard` and builds without it still run.
  const server = (await import('../../server/index.ts').catch(() => undefined)) as
    | { startDashboard?: (o: Record<string, unknown>) => Promise<{ url: string; close(): Promise<void> }> }
    | undefined;
  if (!server?.startDashboard) {
    log.warn('dashboard not available in this build; printing summaries instead');
    return undefined;
  }
  const dataDir = appOptions(flags, env).dataDir;
  const d = await server.startDashboard({ broker, apps, env, host: flags.host, port: flags.port, log, dataDir });
  log.info(`dashboard: ${d.url}`);
  return d;
}
