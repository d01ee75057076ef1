import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCodes, isRunnelError } from '../core/errors.ts';
import { runSql } from '../sql/session.ts';

const JSON_BODY = /^application\/json\s*(;|$)/i;
/** The page's limits: a browser tab shows a thousand rows well, and a query holds a CPU of two. */
export const PAGE_MAX_ROWS = 1000;
export const PAGE_TIMEOUT_MS = 10_000;

const bodySchema = {
  type: 'object',
  properties: {
    query: { type: 'string', minLength: 1, maxLength: 8000 },
    app: { type: 'string', pattern: '^[a-z][a-z0-9-]*$', maxLength: 100 },
  },
  required: ['query'],
  additionalProperties: false,
} as const;

/** An error code as the status the page gets: the user's query (400), a missing folder (404), ours (500). */
function statusOf(code: string): number {
  if (code === ErrorCodes.SQL_REFUSED || code === ErrorCodes.SQL_INVALID) return 400;
  if (code === ErrorCodes.SQL_TIMEOUT) return 408;
  if (code === ErrorCodes.FILE_NOT_FOUND) return 404;
  return 500;
}

/**
 * `POST /api/sql`: the SQL page's query, read-only, over the data folder's outputs (see src/sql). It has
 * the Host, Origin, Sec-Fetch-Site and token checks of every route, and like replay control takes a
 * JSON body only, so no page on another origin can send one without a CORS preflight, never answered.
 * One query at a time: a second one waits for none, it is told to retry.
 */
export function registerSqlRoute(app: FastifyInstance, d: { dataDir: string }): void {
  let running = false;
  const onlyJson = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!JSON_BODY.test(req.headers['content-type'] ?? '')) {
      return reply.code(415).send({ error: 'send the query as JSON (content-type: application/json)' });
    }
  };
  // Before the body is checked against its schema, so a form post is told why, not that its fields are wrong.
  app.post('/api/sql', { schema: { body: bodySchema }, preValidation: onlyJson }, async (req, reply) => {
    if (running) return reply.code(429).send({ error: 'another query is running: try again when it ends' });
    running = true;
    const { query, app: appName } = req.body as { query: string; app?: string };
    try {
      return await runSql(query, {
        dataDir: d.dataDir,
        ...(appName === undefined ? {} : { app: appName }),
        maxRows: PAGE_MAX_ROWS,
        timeoutMs: PAGE_TIMEOUT_MS,
      });
    } catch (err) {
      if (!isRunnelError(err)) throw err;
      return reply.code(statusOf(err.code)).send({ error: err.message, code: err.code });
    } finally {
      running = false;
    }
  });
}
