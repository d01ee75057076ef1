import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDefinition } from '../core/app.ts';
import type { Broker } from '../core/broker.ts';
import type { StreamRecord } from '../core/record.ts';
import type { LiveHub } from './live.ts';
import type { OverviewModel } from './overview.ts';
import type { Info } from './protocol.ts';
import { recordFilter, toView } from './records.ts';
import { SseClient } from './sse.ts';

export interface RouteDeps {
  broker: Broker;
  apps: AppDefinition[];
  hub: LiveHub;
  overview: OverviewModel;
  auth: boolean;
  headers: Record<string, string>;
}

const topicParams = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 249 } },
  required: ['name'],
} as const;
const filterQuery = {
  type: 'object',
  properties: {
    filter: { type: 'string', maxLength: 200, default: '' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
  },
} as const;

const internalQuery = {
  type: 'object',
  properties: { internal: { type: 'boolean', default: false } },
} as const;

type TopicReq = FastifyRequest<{ Params: { name: string }; Querystring: { filter: string; limit: number } }>;

/**
 * The JSON API (for the page and for scripts) and the three live streams. All GET: nothing here writes
 * (the one route that does, replay control, is in control.ts).
 */
export function registerRoutes(app: FastifyInstance, d: RouteDeps): void {
  const sse = (reply: FastifyReply): SseClient => {
    reply.hijack();
    return new SseClient(reply.raw, d.headers);
  };

  app.get(
    '/api/info',
    async (): Promise<Info> => ({
      apps: d.apps.map(({ name, title, description, panels }) => ({ name, title, description, panels })),
      broker: { kind: d.broker.kind, url: redact(d.broker.url) },
      auth: d.auth,
    }),
  );
  app.get('/api/overview', async () => d.overview.fresh());
  // Internal topics (`_runnel.status`, …) are runnel's bookkeeping, not the user's data: listed on request.
  app.get(
    '/api/topics',
    { schema: { querystring: internalQuery } },
    async (req: FastifyRequest<{ Querystring: { internal: boolean } }>) => {
      const topics = (await d.overview.fresh()).topics;
      return req.query.internal ? topics : topics.filter((t) => !t.internal);
    },
  );
  app.get('/api/groups', async () => (await d.overview.fresh()).groups);
  app.get('/api/status', async () => (await d.overview.fresh()).apps.flatMap((a) => a.components));

  app.get('/api/apps/:name', { schema: { params: topicParams } }, async (req: TopicReq, reply) => {
    const session = d.hub.session(req.params.name);
    if (!session) return reply.code(404).send({ error: `unknown app "${req.params.name}"` });
    return (await session).snapshot();
  });

  app.get(
    '/api/topics/:name/records',
    { schema: { params: topicParams, querystring: filterQuery } },
    async (req: TopicReq, reply) => {
      const info = await d.broker.describeTopic(req.params.name);
      if (!info) return reply.code(404).send({ error: `no topic "${req.params.name}"` });
      const match = recordFilter(req.query.filter);
      const found: StreamRecord[] = [];
      // Bounded scan: the newest 5,000 records per partition at most, however selective the filter.
      for (const p of info.partitions) {
        const from = Math.max(p.startOffset, p.endOffset - 5000);
        for (let at = from; at < p.endOffset; ) {
          const batch = await d.broker.read(info.name, p.partition, at, 1000);
          if (batch.length === 0) break;
          at = batch[batch.length - 1]!.offset + 1;
          for (const r of batch) if (match(r)) found.push(r);
        }
      }
      found.sort((a, b) => a.timestamp - b.timestamp || a.offset - b.offset);
      return { topic: info.name, records: found.slice(-req.query.limit).map((r) => toView(r)) };
    },
  );

  app.get(
    '/api/topics/:name/records/:partition/:offset',
    {
      schema: {
        params: {
          type: 'object',
          properties: {
            name: topicParams.properties.name,
            partition: { type: 'integer', minimum: 0 },
            offset: { type: 'integer', minimum: 0 },
          },
          required: ['name', 'partition', 'offset'],
        },
      },
    },
    async (req: FastifyRequest<{ Params: { name: string; partition: number; offset: number } }>, reply) => {
      const { name, partition, offset } = req.params;
      const [r] = await d.broker.read(name, partition, offset, 1);
      if (!r || r.offset !== offset) return reply.code(404).send({ error: `no record ${name}/${partition}/${offset}` });
      return r;
    },
  );

  app.get('/api/live/overview', (_req, reply) => {
    d.hub.addOverviewClient(sse(reply));
  });

  app.get('/api/live/apps/:name', { schema: { params: topicParams } }, async (req: TopicReq, reply) => {
    if (!d.apps.some((a) => a.name === req.params.name)) {
      return reply.code(404).send({ error: `unknown app "${req.params.name}"` });
    }
    const client = sse(reply);
    await d.hub.addAppClient(req.params.name, client).catch((err: unknown) => {
      client.send('failure', { error: (err as Error).message });
      client.close();
    });
  });

  app.get(
    '/api/live/topics/:name',
    { schema: { params: topicParams, querystring: filterQuery } },
    async (req: TopicReq, reply) => {
      const client = sse(reply);
      await d.hub.addTopicClient(req.params.name, req.query.filter, client).catch((err: unknown) => {
        client.send('failure', { error: (err as Error).message });
        client.close();
      });
    },
  );
}

/** A broker URL may carry credentials (`kafka://user:secret@host`); the page never needs them. */
function redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}
