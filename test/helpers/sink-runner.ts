import type { Broker } from '../../src/core/broker.ts';
import type { Sink } from '../../src/core/connector.ts';
import { type Logger, silentLogger } from '../../src/core/log.ts';
import { SinkRunner } from '../../src/core/runners/sink-runner.ts';
import { StatusCell } from '../../src/core/status-cell.ts';

/** A sink runner of app `app` over `topic`, with its status cell and the controller that stops it. */
export function runnerFor(broker: Broker, app: string, topic: string, sink: Sink, log: Logger = silentLogger) {
  const stop = new AbortController();
  const status = new StatusCell({ app, pipeline: 'p', pid: 0, component: 'sink', name: sink.name, topics: [topic] });
  const runner = new SinkRunner({ broker, app, binding: { sink, topic } as never, status, log, signal: stop.signal });
  return { runner, status, stop };
}
