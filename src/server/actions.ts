import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppActionContext, AppDefinition } from '../core/app.ts';
import { type Broker, newestMatching, produceAll } from '../core/broker.ts';
import { ErrorCodes, isRunnelError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { StreamRecord } from '../core/record.ts';
import { refusal } from './refusal.ts';

const JSON_BODY = /^application\/json\s*(;|$)/i;
/** How far back from a partition's end the newest record is looked for (transaction markers take offsets). */
const TAIL = 20;

const nameParams = {
  type: 'object',
  properties: {
    name: { type: 'string', pattern: '^[a-z][a-z0-9-]*$', maxLength: 100 },
    action: { type: 'string', pattern: '^[a-z][a-z0-9-]*$', maxLength: 100 },
  },
  required: ['name', 'action'],
} as const;

/** The newest record (with a value) of each partition of `topic`. */
function latest(broker: Broker, topic: string): Promise<StreamRecord[]> {
  // Back from the end one offset at a time, one record at most: the records may be large (a model
  // snapshot), and on Kafka the last offsets can be transaction markers rather than records.
  return newestMatching(broker, topic, (r) => r.value !== null && r.value !== undefined, { step: 1, limit: TAIL });
}

/**
 * `POST /api/apps/<app>/<action>`: an app's own requests (the users app's `predict` and `add`). Like
 * `/api/control` it changes things (an action may put records on a topic), so on top of the Host, Origin,
 * Sec-Fetch-Site and token checks every route has, it takes a JSON body only (a cross-origin page cannot
 * send one without a preflight this server never answers), of at most the server's 16 KiB body limit, and
 * the app's schema checks the body before its code sees it.
 */
export function registerActionRoutes(
  app: FastifyInstance,
  d: { broker: Broker; apps: AppDefinition[]; env: Record<string, string | undefined>; log: Logger },
): void {
  const ctx: AppActionContext = {
    latest: (topic) => latest(d.broker, topic),
    // A few seconds of retries: a dropped connection or a moving leader fails one attempt, not the request.
    produce: (topic, records) =>
      produceAll(d.broker, topic, records, `action: produce to ${topic}`, {
        signal: AbortSignal.timeout(10_000),
        log: d.log,
      }),
    env: d.env,
  };
  const fail = (reply: FastifyReply, status: number, error: string) => reply.code(status).send({ error });
  app.post(
    '/api/apps/:name/:action',
    { schema: { params: nameParams } },
    async (req: FastifyRequest<{ Params: { name: string; action: string } }>, reply) => {
      const { name, action } = req.params;
      const found = d.apps.find((a) => a.name === name)?.actions;
      const handler = found && Object.hasOwn(found, action) ? found[action] : undefined;
      if (!handler) return fail(reply, 404, `app "${name}" has no action "${action}"`);
      if (!JSON_BODY.test(req.headers['content-type'] ?? '')) {
        return fail(reply, 415, 'send the request as JSON (content-type: application/json)');
      }
      const parsed = handler.input.safeParse(req.body);
      if (!parsed.success) return fail(reply, 400, refusal(req.body, parsed.error.issues[0]));
      try {
        return await handler.run(parsed.data, ctx);
      } catch (err) {
        if (isRunnelError(err) && err.code === ErrorCodes.NOT_READY) return fail(reply, 503, err.message);
        if (isRunnelError(err) && err.code === ErrorCodes.CONFIG_INVALID) return fail(reply, 400, err.message);
        d.log.warn(`${name} ${action}: ${(err as Error).message}`);
        return fail(reply, 500, `${action} failed`);
      }
    },
  );
}
