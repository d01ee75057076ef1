import type { FastifyInstance } from 'fastify';
import type { Broker } from '../core/broker.ts';
import { controlCommandSchema, sendControl } from '../core/control.ts';
import { canControl } from '../core/status.ts';
import type { OverviewModel } from './overview.ts';

const JSON_BODY = /^application\/json\s*(;|$)/i;

/**
 * `POST /api/control`: pause, resume or change the speed of a replaying source, in whatever process runs
 * it (the command goes on the control topic). The only route that changes anything, so on top of the
 * Host, Origin, Sec-Fetch-Site and token checks every route has, it takes a JSON body only: a page on
 * another origin cannot send JSON without a CORS preflight, which this server never answers, while a
 * plain form post (text/plain, urlencoded) is refused here.
 */
export function registerControlRoute(app: FastifyInstance, d: { broker: Broker; overview: OverviewModel }): void {
  app.post('/api/control', async (req, reply) => {
    if (!JSON_BODY.test(req.headers['content-type'] ?? '')) {
      return reply.code(415).send({ error: 'send the command as JSON (content-type: application/json)' });
    }
    const parsed = controlCommandSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      return reply.code(400).send({ error: `bad control command: ${where}${issue?.message ?? 'invalid'}` });
    }
    const c = parsed.data;
    const running = (await d.overview.fresh()).apps
      .flatMap((a) => a.components)
      .filter(
        (s) =>
          canControl(s, s.stale) &&
          s.app === c.app &&
          s.name === c.source &&
          (c.pipeline === undefined || s.pipeline === c.pipeline),
      );
    if (running.length === 0) {
      return reply
        .code(404)
        .send({ error: `no running source "${c.source}" of app "${c.app}" that can be paused or sped up` });
    }
    await sendControl(d.broker, c);
    return reply.code(202).send({ sent: c, pipelines: [...new Set(running.map((s) => s.pipeline))] });
  });
}
