import { join } from 'node:path';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import type { Broker } from '../../src/core/broker.ts';
import type { Sink } from '../../src/core/connector.ts';
import { createLogger } from '../../src/core/log.ts';
import { type RunningPipeline, runPipeline } from '../../src/core/pipeline.ts';
import { makeEvents } from './checker.ts';

/** A local broker in `dir` whose topic `events` (3 partitions) holds the checker's `n` events, keyed. */
export async function brokerWithEvents(dir: string, n: number): Promise<string> {
  const url = `local:${join(dir, 'broker.db')}`;
  const broker = new LocalBroker(url);
  await broker.connect();
  await broker.createTopic('events', { partitions: 3 });
  const events = makeEvents(n);
  for (let i = 0; i < n; i += 5000)
    await broker.produce(
      'events',
      events.slice(i, i + 5000).map((e) => ({ key: e.key, value: e })),
    );
  await broker.close();
  return url;
}

/** Runs only the consumer side of a pipeline that drains `topic` into `sinks`, then ends (crash tests). */
export function drainInto(broker: Broker, app: string, topic: string, sinks: Sink[]): RunningPipeline {
  return runPipeline({
    broker,
    log: createLogger({ quiet: true }),
    roles: { sources: false, consumers: true },
    drain: true,
    spec: { app, topics: {}, sources: [], processors: [], sinks: sinks.map((sink) => ({ sink, topic })) },
  });
}
