import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { z } from 'zod';
import type { PipelineSpec } from './app.ts';
import { sleep } from './backoff.ts';
import { type Broker, endOffsets } from './broker.ts';
import { dlqTopic } from './dlq.ts';
import type { Logger } from './log.ts';
import { retrying } from './retry.ts';
import type { ConsumerLoop, InputShape } from './runners/consumer-loop.ts';
import { ProcessorRunner } from './runners/processor-runner.ts';
import { SinkRunner } from './runners/sink-runner.ts';
import { runSource } from './runners/source-runner.ts';
import { StateStore } from './state-store.ts';
import { type ComponentKind, type ComponentStatus, STATUS_RETENTION_MS, STATUS_TOPIC, StatusCell } from './status.ts';

export interface RunOptions {
  broker: Broker;
  spec: PipelineSpec;
  log: Logger;
  /** Which halves run in this process: `produce` = sources only, `consume` = processors and sinks. */
  roles?: { sources: boolean; consumers: boolean };
  /** Stop the sources after this many records each. */
  limit?: number;
  /** Consumers only: stop once caught up with what the topics held when they started. */
  drain?: boolean;
  /** Folder for processor state (`<stateDir>/<app>.state.db`). */
  stateDir: string;
  /** Stops everything gracefully: in-flight batches are finished and committed. */
  signal?: AbortSignal;
  statusIntervalMs?: number;
  /** On stop, how long consumers may catch up with what the sources produced (default 3 s). */
  stopGraceMs?: number;
  onStatus?: (statuses: ComponentStatus[]) => void;
}

export interface RunningPipeline {
  /** Resolves when the pipeline finished (input ended or drained) or was stopped; rejects on a fatal error. */
  done: Promise<void>;
  stop(): void;
  statuses(): ComponentStatus[];
}

/** On stop, how long consumers may catch up with what the sources produced. */
const STOP_GRACE_MS = 3000;

/**
 * Runs an app's sources, processors and sinks on one broker. With finite input (a file, `--limit`) it
 * waits until every processor and sink has committed everything the sources produced, then exits; this
 * is what makes `runnel run buzz --limit 10000` end with exactly 10000 rows in every sink.
 */
export function runPipeline(o: RunOptions): RunningPipeline {
  const roles = o.roles ?? { sources: true, consumers: true };
  const { spec, broker, log } = o;
  const stopSources = new AbortController();
  const stopConsumers = new AbortController();
  let grace: NodeJS.Timeout | undefined;
  const onExternalStop = () => {
    stopSources.abort();
    if (!(roles.sources && roles.consumers)) {
      stopConsumers.abort();
      return;
    }
    // Sources stop at once; consumers first catch up with what was already produced (so a stopped demo
    // leaves no lag), for a few seconds at most: a failing sink must not hold Ctrl-C hostage, and what
    // it misses stays on the topic for its next start.
    grace ??= setTimeout(() => stopConsumers.abort(), o.stopGraceMs ?? STOP_GRACE_MS);
  };
  o.signal?.addEventListener('abort', onExternalStop, { once: true });
  const pipelineId = randomUUID().slice(0, 8);
  const cells: StatusCell[] = [];
  const cell = (component: ComponentKind, name: string, topics: string[], target?: string) => {
    const c = new StatusCell({
      app: spec.app,
      pipeline: pipelineId,
      pid: process.pid,
      component,
      name,
      topics,
      ...(target ? { target } : {}),
    });
    cells.push(c);
    return c;
  };
  const statuses = () => cells.map((c) => ({ ...c.status }));

  const done = (async () => {
    await createTopics(broker, spec, roles);
    const store =
      roles.consumers && spec.processors.length > 0
        ? new StateStore(join(o.stateDir, `${spec.app}.state.db`))
        : undefined;
    const publisher = publishStatus(broker, statuses, o.statusIntervalMs ?? 1000, o.onStatus);
    const tasks: Array<Promise<void>> = [];
    const processorLoops: Array<{ loop: ConsumerLoop; inputs: string[] }> = [];
    const sinkLoops: Array<{ loop: ConsumerLoop; inputs: string[] }> = [];
    let failure: unknown;
    const track = (p: Promise<void>) =>
      tasks.push(
        p.catch((err: unknown) => {
          failure ??= err;
          onExternalStop();
        }),
      );
    const starting: Array<Promise<unknown>> = [];
    const inputShape = inputShapes(spec, roles);
    try {
      if (roles.consumers) {
        for (const processor of spec.processors) {
          const r = new ProcessorRunner({
            broker,
            app: spec.app,
            processor,
            store: store!,
            log,
            signal: stopConsumers.signal,
            status: cell('processor', processor.name, processor.inputs),
            ...inputShape(processor.inputs),
          });
          processorLoops.push({ loop: r.loop, inputs: processor.inputs });
          const task = r.loop.run();
          track(task);
          starting.push(startOf(r.loop.ready, task));
        }
        for (const binding of spec.sinks) {
          const r = new SinkRunner({
            broker,
            app: spec.app,
            binding,
            log,
            signal: stopConsumers.signal,
            status: cell('sink', binding.sink.name, [binding.topic], binding.sink.target),
            ...inputShape([binding.topic]),
          });
          sinkLoops.push({ loop: r.loop, inputs: [binding.topic] });
          const task = r.run();
          track(task);
          starting.push(startOf(r.ready, task));
        }
      }
      if (roles.sources && roles.consumers) {
        // Consumers first check their stored output against this broker: output from another broker must
        // be refused before a source has put a batch on this one (a sink that cannot open yet does not
        // hold the sources back; it retries on its own).
        const refused = (await Promise.allSettled(starting)).find((s) => s.status === 'rejected');
        if (refused) {
          failure ??= refused.reason;
          onExternalStop();
        }
      }
      const sources =
        roles.sources && !failure
          ? spec.sources.map(({ source, topic, schema }) =>
              runSource({
                broker,
                source,
                topic,
                ...(schema ? { schema } : {}),
                log,
                signal: stopSources.signal,
                status: cell('source', source.name, [topic]),
                ...(o.limit === undefined ? {} : { limit: o.limit }),
              }),
            )
          : [];
      const sourcesDone = Promise.all(sources).catch((err: unknown) => {
        failure ??= err;
        onExternalStop();
      });
      if (roles.sources && roles.consumers) {
        await sourcesDone;
        if (!stopConsumers.signal.aborted) await drain(broker, processorLoops, sinkLoops, stopConsumers.signal, log);
        stopConsumers.abort();
      } else if (roles.sources) {
        await sourcesDone;
      } else if (o.drain) {
        await drain(broker, processorLoops, sinkLoops, stopConsumers.signal, log);
        stopConsumers.abort();
      }
      await Promise.all(tasks);
    } finally {
      stopSources.abort();
      stopConsumers.abort();
      await Promise.all(tasks);
      await publisher.stop();
      store?.close();
      clearTimeout(grace);
      o.signal?.removeEventListener('abort', onExternalStop);
    }
    if (failure) throw failure;
  })();

  return { done, stop: onExternalStop, statuses };
}

async function createTopics(broker: Broker, spec: PipelineSpec, roles: { sources: boolean; consumers: boolean }) {
  const names = new Set<string>(Object.keys(spec.topics));
  for (const s of spec.sources) names.add(s.topic);
  for (const p of spec.processors) for (const t of [...p.inputs, ...p.outputs]) names.add(t);
  for (const s of spec.sinks) names.add(s.topic);
  void roles;
  for (const name of names) await broker.createTopic(name, spec.topics[name] ?? {});
  for (const s of spec.sources) await broker.createTopic(dlqTopic(s.topic), {});
  await broker.createTopic(STATUS_TOPIC, { retentionMs: STATUS_RETENTION_MS });
}

/**
 * Without its sources, a pipeline reads input that another client may have written (a seed's producer):
 * its consumers check the app's input shapes themselves (see InputShape), and the first consumer of each
 * input topic dead-letters what does not fit. With its sources running, the source checked already (a
 * client writing the same topic during a `run` is not checked: its misfits fail at each consumer).
 */
function inputShapes(
  spec: PipelineSpec,
  roles: { sources: boolean },
): (inputs: string[]) => { inputShape?: InputShape } {
  const schemas = new Map<string, z.ZodType>();
  if (!roles.sources) for (const s of spec.sources) if (s.schema) schemas.set(s.topic, s.schema);
  const reporter = new Set<string>();
  return (inputs) => {
    const mine = inputs.filter((t) => schemas.has(t));
    if (mine.length === 0) return {};
    const reports = new Set(mine.filter((t) => !reporter.has(t)));
    for (const t of mine) reporter.add(t);
    return { inputShape: { schemas, reports } };
  };
}

/**
 * Settles when a consumer knows where it resumes, or its run ended first. Handled here: without sources
 * nobody awaits it, and the failure it carries reaches the caller through the run's own task.
 */
function startOf(ready: Promise<void>, run: Promise<void>): Promise<void> {
  const started = Promise.race([ready, run]);
  started.catch(() => {});
  return started;
}

/** Processors first, in order (their outputs feed later stages), then sinks: each up to the end offsets. */
async function drain(
  broker: Broker,
  processors: Array<{ loop: ConsumerLoop; inputs: string[] }>,
  sinks: Array<{ loop: ConsumerLoop; inputs: string[] }>,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  for (const stage of [processors, sinks]) {
    for (const { loop, inputs } of stage) {
      // A broker blip while asking where the topics end is waited out, like the consumers' own polls.
      const targets = await retrying(`drain: end of ${inputs.join(', ')}`, () => endOffsets(broker, inputs), {
        signal,
        log,
      });
      while (!signal.aborted && !loop.caughtUp(targets)) await sleep(20, signal);
    }
  }
}

function publishStatus(
  broker: Broker,
  statuses: () => ComponentStatus[],
  intervalMs: number,
  onStatus?: (s: ComponentStatus[]) => void,
): { stop(): Promise<void> } {
  let pending: Promise<unknown> = Promise.resolve();
  const publish = () => {
    const list = statuses();
    onStatus?.(list);
    if (list.length === 0) return;
    // Best effort: a broker hiccup must not stop the pipeline, the next tick retries.
    pending = broker
      .produce(
        STATUS_TOPIC,
        list.map((s) => ({ key: `${s.app}/${s.component}/${s.name}`, value: s })),
      )
      .catch(() => {});
  };
  const timer = setInterval(publish, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      publish();
      await pending;
    },
  };
}
