import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadApp } from '../../apps/index.ts';
import { type AppDefinition, panelsOf } from '../../core/app.ts';
import type { Broker } from '../../core/broker.ts';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import { createLogger } from '../../core/log.ts';
import { loadEnv } from '../context.ts';
import { sayPanelTopicSlips } from '../unfed-topics.ts';

export interface DashboardDeps {
  /** Opens the broker from the global flags (`--broker`, RUNNEL_BROKER); the command closes it. */
  resolveBroker: (opts: Record<string, unknown>) => Promise<Broker>;
  apps: () => AppDefinition[];
  /** Stops the server (tests); otherwise SIGINT/SIGTERM do. */
  signal?: AbortSignal;
  /** Where the URL is printed (default stdout). */
  print?: (line: string) => void;
}

interface DashboardFlags {
  port: number;
  host: string;
  allowHost?: string[];
  verbose?: boolean;
  quiet?: boolean;
  dotenv?: string;
  app?: string[];
  dataDir?: string;
}

function port(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n > 65535) {
    throw new RunnelError(
      ErrorCodes.CONFIG_INVALID,
      `--port must be a port number 0-65535 (got ${JSON.stringify(raw)})`,
      {
        value: raw,
      },
    );
  }
  return n;
}

/**
 * `runnel dashboard`: serves the dashboard for whatever runs on the broker, in this process or any
 * other (pipelines publish their status on the broker), until Ctrl-C.
 */
export function registerDashboardCommand(program: Command, deps: DashboardDeps): void {
  program
    .command('dashboard')
    .description('serve the live web dashboard for the pipelines running on the broker')
    .option('--port <n>', 'port to listen on (0 = any free port)', port, 8080)
    .option('--host <address>', 'address to bind; anything but loopback requires the printed token', '127.0.0.1')
    .option('--allow-host <names...>', 'extra Host names the page may be reached by (e.g. behind a proxy)')
    .option('--app <files...>', 'your own pipeline files, so their pages show beside the built-in apps')
    .action(async (flags: DashboardFlags) => {
      const extra = await Promise.all((flags.app ?? []).map(loadApp));
      const env = loadEnv(flags.dotenv);
      const log = createLogger({ verbose: flags.verbose ?? false, quiet: flags.quiet ?? false, prefix: 'dashboard' });
      const print = deps.print ?? ((line: string) => process.stdout.write(`${line}\n`));
      const broker = await deps.resolveBroker(flags as unknown as Record<string, unknown>);
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      deps.signal?.addEventListener('abort', onSignal, { once: true });
      try {
        // Loaded here, not with the CLI: the web server's modules were a tenth of every command's start-up.
        const { startDashboard } = await import('../../server/index.ts');
        const dashboard = await startDashboard({
          broker,
          apps: [...deps.apps(), ...extra],
          env,
          // The SQL page reads the folder the pipelines write (the global --data-dir, as `runnel run`).
          dataDir: resolve(flags.dataDir ?? env.BASE_DATA_DIR ?? 'data'),
          host: flags.host,
          port: flags.port,
          ...(flags.allowHost ? { allowedHosts: flags.allowHost } : {}),
          log,
        });
        // The only place the token is ever printed: the URL to open.
        print(`runnel dashboard on ${broker.url}: ${dashboard.url}`);
        if (dashboard.token) print('this URL carries the access token: share it only with people who may see the data');
        print('Ctrl-C to stop');
        // Only the user's own apps: the built-in apps' panels read what their steps write.
        await sayPanelTopicSlips(
          broker,
          extra.map((a) => ({ name: a.name, panels: panelsOf(a, env) })),
          log,
        );
        if (!stop.signal.aborted)
          await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
        await dashboard.close();
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await broker.close();
      }
    });
}
