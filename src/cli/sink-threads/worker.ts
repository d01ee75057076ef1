/**
 * A sink thread (see SinkThreads): builds the app's spec as the main thread did, opens its own connection to
 * the broker, and runs the sinks it is given with SinkRunner, the code that runs them in the main thread.
 * It reports each sink's status and committed positions; the main thread publishes them and drains by them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { z } from 'zod';
import { loadApp } from '../../apps/index.ts';
import type { Broker } from '../../core/broker.ts';
import { ErrorCodes, RunnelError, toRunnelError } from '../../core/errors.ts';
import { SinkRunner } from '../../core/runners/sink-runner.ts';
import { StatusCell } from '../../core/status-cell.ts';
import { appOptions, logger, openBroker } from '../context.ts';
import type { FromThread, ThreadData, ToThread, WireError } from './protocol.ts';

/** How often a running sink's status and positions are sent when they changed. */
const REPORT_MS = 50;

const port = parentPort!;
const data = workerData as ThreadData;
const send = (m: FromThread) => port.postMessage(m);
/** Codes kept across the boundary: an OS error becomes the RunnelError it would be in the main thread. */
const wire = (err: unknown): WireError => {
  const e = toRunnelError(err);
  return { code: e.code, message: e.message, retriable: e.retriable };
};

const setup = (async () => {
  const app = await loadApp(data.app);
  const spec = await app.build(appOptions(data.flags, data.env));
  const broker: Broker = await openBroker(data.flags, data.env);
  const schemas = new Map<string, z.ZodType>();
  for (const s of spec.sources) if (s.schema) schemas.set(s.topic, s.schema);
  return { spec, broker, log: logger(data.flags, app.name), schemas };
})();
setup.catch(() => {}); // reported per sink below

const stops = new Map<number, AbortController>();
/** Stops that came before their sink (the main thread sends `add` first; this is belt and braces). */
const early = new Set<number>();
const running = new Set<Promise<void>>();

async function runSink(m: Extract<ToThread, { t: 'add' }>): Promise<void> {
  const stop = new AbortController();
  stops.set(m.i, stop);
  if (m.stopped || early.delete(m.i)) stop.abort();
  let ctx: Awaited<typeof setup>;
  try {
    ctx = await setup;
  } catch (err) {
    send({ t: 'fatal', error: wire(err) });
    return;
  }
  const binding = ctx.spec.sinks[m.i];
  if (binding?.sink.name !== m.name || binding.topic !== m.topic) {
    // The app built other sinks here than in the main thread (a pipeline file whose build is not the same
    // twice): writing with them would put the wrong records in, or two threads in one file.
    const error = new RunnelError(
      ErrorCodes.CONFIG_INVALID,
      `${m.name}: the app built different sinks in a sink thread (is its build the same every time?); run it without --sink-threads`,
    );
    send({ t: 'failed', i: m.i, error: wire(error) });
    return;
  }
  const { state: _s, records: _r, dlq: _d, ts: _t, ...identity } = m.status;
  const status = new StatusCell(identity);
  const runner = new SinkRunner({
    broker: ctx.broker,
    app: ctx.spec.app,
    binding,
    log: ctx.log,
    signal: stop.signal,
    status,
    ...(m.reports ? { inputShape: { schemas: ctx.schemas, reports: new Set(m.reports) } } : {}),
  });
  let last = '';
  const report = () => {
    const positions = [...runner.loop.positions];
    const assigned = runner.loop.assigned();
    const key = `${JSON.stringify(status.status)}:${JSON.stringify(positions)}:${JSON.stringify(assigned)}`;
    if (key === last) return;
    last = key;
    send({ t: 'state', i: m.i, status: { ...status.status }, positions, ...(assigned ? { assigned } : {}) });
  };
  const timer = setInterval(report, REPORT_MS);
  runner.ready.then(
    () => send({ t: 'ready', i: m.i }),
    () => {}, // run() rejects with the same failure
  );
  try {
    await runner.run();
    report();
    send({ t: 'done', i: m.i });
  } catch (err) {
    report();
    send({ t: 'failed', i: m.i, error: wire(err) });
  } finally {
    clearInterval(timer);
  }
}

port.on('message', (m: ToThread) => {
  if (m.t === 'stop') {
    const stop = stops.get(m.i);
    if (stop) stop.abort();
    else early.add(m.i);
  } else if (m.t === 'close') {
    void close();
  } else {
    const task = runSink(m).catch((err: unknown) => send({ t: 'failed', i: m.i, error: wire(err) }));
    running.add(task);
    void task.finally(() => running.delete(task));
  }
});

/** Asked by the main thread once the pipeline is over: its sinks have ended or are ending. */
async function close(): Promise<void> {
  for (const s of stops.values()) s.abort();
  await Promise.all(running);
  const ctx = await setup.catch(() => undefined);
  await ctx?.broker.close().catch(() => {});
  port.close();
}
