import { networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { type AppDefinition, panelsOf } from '../core/app.ts';
import type { Broker } from '../core/broker.ts';
import { ErrorCodes, RunnelError } from '../core/errors.ts';
import { type Logger, silentLogger } from '../core/log.ts';
import { registerActionRoutes } from './actions.ts';
import { registerControlRoute } from './control.ts';
import { LiveHub } from './live.ts';
import { OverviewModel } from './overview.ts';
import { checkPanels } from './panels/index.ts';
import { registerRoutes } from './routes.ts';
import { HostAllowlist, isLoopback, newToken, tokenMatches } from './security.ts';
import { registerSqlRoute } from './sql.ts';
import { DEFAULT_WEB_ROOT, loadStatic, notBuiltPage } from './static.ts';
import { Tailer } from './tailer.ts';

export interface DashboardOptions {
  broker: Broker;
  apps: AppDefinition[];
  /**
   * The settings the apps' pipelines run with (BUZZ_TOPIC, SMOKER_TOPIC, …): their panels read the topics
   * build() names under them. The CLI passes what it read (the environment over `.env` / `--dotenv`);
   * default: the process environment.
   */
  env?: Record<string, string | undefined>;
  /** Default 127.0.0.1. Any other address requires a token on every API request and stream. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default: env RUNNEL_DASHBOARD_TOKEN, else generated when the host is not loopback. */
  token?: string;
  /** Extra names the page may be reached by (a reverse proxy's `dash.example.org:443`). */
  allowedHosts?: string[];
  log?: Logger;
  /** The built front end (default `<repo>/dist/web`). */
  webRoot?: string;
  /** The folder `runnel sql` and the SQL page read (default: env BASE_DATA_DIR, else ./data). */
  dataDir?: string;
  /** Records per partition loaded as history when a panel or topic is opened (default 500). */
  history?: number;
}

export interface Dashboard {
  /** Where to open it; includes `?token=` when a token is required (print it once, log it nowhere else). */
  url: string;
  token?: string;
  close(): Promise<void>;
}

/** Headers on every response: no framing, no sniffing, no referrer (the URL may carry the token). */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};
const MAX_URL = 2048;
const STATIC_ROUTE = '/*';

/**
 * The server without listening: routes, checks and live state. Tests drive it with `app.inject`;
 * `startDashboard` adds the socket. `port` is the port the Host check expects until `listen` sets it.
 */
export function createDashboard(o: DashboardOptions): {
  app: FastifyInstance;
  token: string | undefined;
  setPort(port: number): void;
  start(): Promise<void>;
  stop(): Promise<void>;
} {
  const host = o.host ?? '127.0.0.1';
  const token = o.token || process.env.RUNNEL_DASHBOARD_TOKEN || (isLoopback(host) ? undefined : newToken());
  const log = o.log ?? silentLogger;
  let port = o.port ?? 8080;
  const allow = new HostAllowlist(host, o.allowedHosts);
  // A page reading the default `smoker` while the pipeline wrote SMOKER_TOPIC's topic stayed empty.
  const env = o.env ?? process.env;
  const apps = o.apps.map((a) => ({ ...a, panels: panelsOf(a, env) }));
  // Before anything starts: a misspelt panel option or field was a 500 on the app's page, and a field
  // the panel type does not read was silently ignored.
  for (const a of apps) checkPanels(a.name, a.panels);
  const tailer = new Tailer(o.broker, o.history === undefined ? {} : { history: o.history });
  const overview = new OverviewModel(o.broker, apps);
  const hub = new LiveHub(tailer, overview, apps, log);
  const webRoot = o.webRoot ?? DEFAULT_WEB_ROOT;
  const files = loadStatic(webRoot);
  if (!files) log.warn(`dashboard front end not built (no ${webRoot}/index.html): run \`npx vite build\``);

  // Fastify's own logger stays off: it would write request URLs, and those may carry the token.
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024, routerOptions: { maxParamLength: 300 } });

  app.addHook('onRequest', async (req, reply) => {
    if (req.url.length > MAX_URL) return reply.code(414).send({ error: 'request URL too long' });
    if (!allow.allowsHost(req.headers.host, port)) return reply.code(403).send({ error: 'host not allowed' });
    const origin = req.headers.origin;
    if (origin !== undefined && !allow.allowsOrigin(origin, port)) {
      return reply.code(403).send({ error: 'origin not allowed' });
    }
    // Decided by the matched route, not the raw URL, so `/%61pi/…` or `//api/…` cannot dodge the token.
    if (req.routeOptions.url === STATIC_ROUTE) return;
    if (req.headers['sec-fetch-site'] === 'cross-site') return reply.code(403).send({ error: 'cross-site request' });
    if (token !== undefined && !tokenMatches(requestToken(req.query, req.headers.authorization), token)) {
      return reply.code(401).send({ error: 'token required: open the URL printed at start (…/?token=…)' });
    }
  });
  app.addHook('onSend', async (_req, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  // A body Fastify cannot read, in the API's own words (`{ error }`), not Fastify's codes: a form-encoded
  // POST to the predict endpoint got FST_ERR_CTP_INVALID_MEDIA_TYPE and "Unsupported Media Type".
  app.setErrorHandler((err: { code?: string; statusCode?: number; message: string }, _req, reply) => {
    const said = BODY_ERRORS[err.code ?? ''];
    const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
    return reply.code(status).send({ error: said ?? (status < 500 ? err.message : 'internal error') });
  });

  registerRoutes(app, {
    broker: o.broker,
    apps,
    hub,
    overview,
    auth: token !== undefined,
    headers: SECURITY_HEADERS,
  });
  registerControlRoute(app, { broker: o.broker, overview });
  registerSqlRoute(app, { dataDir: resolve(o.dataDir ?? env.BASE_DATA_DIR ?? 'data') });
  registerActionRoutes(app, { broker: o.broker, apps, env, log });

  // The page shell and its hashed assets carry no data, so they load without the token; the page then
  // reads the token from its URL and sends it with every API call and stream.
  app.get(STATIC_ROUTE, async (req, reply) => {
    const path = req.url.split('?')[0]!;
    const file = files
      ? files.get(path === '/' ? '/index.html' : path)
      : path === '/'
        ? notBuiltPage(webRoot)
        : undefined;
    if (!file) return reply.code(404).send({ error: 'not found' });
    reply.header('content-type', file.type);
    reply.header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    return reply.send(file.body);
  });

  return {
    app,
    token,
    setPort: (p) => {
      port = p;
    },
    async start() {
      await overview.start(tailer);
      hub.start();
    },
    async stop() {
      await hub.stop();
      overview.stop();
      await app.close();
    },
  };
}

function requestToken(query: unknown, authorization: string | undefined): string | undefined {
  const q = (query as Record<string, unknown> | undefined)?.token;
  if (typeof q === 'string') return q;
  if (authorization?.startsWith('Bearer ')) return authorization.slice(7);
  return undefined;
}

/** Serves the dashboard until `close()`; the caller owns the broker (and closes it after). */
/** What a request whose body Fastify cannot read is told (see setErrorHandler). */
const BODY_ERRORS: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'send the body as JSON (Content-Type: application/json)',
  FST_ERR_CTP_INVALID_JSON_BODY: 'the body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the body is empty: send a JSON object',
  FST_ERR_CTP_BODY_TOO_LARGE: 'the body is too large (16 KB at most)',
};

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const host = o.host ?? '127.0.0.1';
  const d = createDashboard(o);
  await d.start();
  try {
    await d.app.listen({ host, port: o.port ?? 8080 });
  } catch (err) {
    await d.stop();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      const why =
        code === 'EADDRINUSE'
          ? 'is in use'
          : code === 'EACCES'
            ? 'needs privileges'
            : 'is not an address of this machine';
      throw new RunnelError(
        ErrorCodes.CONFIG_INVALID,
        `dashboard: ${host}:${o.port ?? 8080} ${why} (use --port/--host)`,
        {
          value: `${host}:${o.port ?? 8080}`,
          cause: err,
        },
      );
    }
    throw err;
  }
  const address = d.app.server.address();
  const port = typeof address === 'object' && address ? address.port : (o.port ?? 8080);
  d.setPort(port);
  const shown = urlHost(host);
  const url = `http://${shown}:${port}/${d.token ? `?token=${encodeURIComponent(d.token)}` : ''}`;
  return { url, ...(d.token ? { token: d.token } : {}), close: () => d.stop() };
}

/** A wildcard bind is reached by one of the machine's addresses; IPv6 literals need brackets in a URL. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    return external?.address ?? '127.0.0.1';
  }
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
