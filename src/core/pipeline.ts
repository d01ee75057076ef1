import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { PipelineSpec, SinkBinding } from './app.ts';
import { settledWithin } from './backoff.ts';
import { type Broker, isStatefulBroker, type TopicConfig } from './broker.ts';
import type { Source } from './connector.ts';
import { followControl } from './control.ts';
import { dlqTopic } from './dlq.ts';
import { ErrorCodes, RunnelError } from './errors.ts';
import type { Logger } from './log.ts';
import { checkPlaces, type OutputPlace } from './places.ts';
import { initialSpeed, ReplayControl } from './replay-control.ts';
import { backlogGate, type Paced } from './runners/backlog.ts';
import type { InputShape } from './runners/consumer-loop.ts';
import { drain, type InputEnd, notHoldingEveryPartition } from './runners/drain.ts';
import { newRunStart } from './runners/replay-resume.ts';
import { SinkRunner } from './runners/sink-runner.ts';
import { runSource, sourceContext } from './runners/source-runner.ts';
import { TaskRunner } from './runners/task-runner.ts';
import { type ComponentKind, type ComponentStatus, STATUS_RETENTION_MS, STATUS_TOPIC } from './status.ts';
import { StatusCell } from './status-cell.ts';

export type { InputEnd } from './runners/drain.ts';

export interface RunOptions {
  broker: Broker;
  spec: PipelineSpec;
  log: Logger;
  /** Which halves run in this process: `produce` = sources only, `consume` = processors and sinks. */
  roles?: { sources: boolean; consumers: boolean };
  /** Stop the sources after this many records each. */
  limit?: number;
  /** Sources that replay a file read it from its start, not after what an earlier run made durable. */
  fromStart?: boolean;
  /** Consumers only: stop once caught up with what the topics held when they started. */
  drain?: boolean;
  /**
   * With drain: what the topics held is all there will be, so at the drain's end every window closes for
   * good, as at a bounded run's end. Only a process holding every partition of its processors' inputs ends
   * them (see notHoldingEveryPartition); otherwise the windows stay open, and inputEnd() says why.
   */
  final?: boolean;
  /** With final: a reason not to end the input now (a producer still running), asked once caught up. */
  finalGuard?: () => Promise<string | undefined>;
  /** Stops everything gracefully: in-flight batches are finished and committed. */
  signal?: AbortSignal;
  statusIntervalMs?: number;
  /** On stop, how long consumers may catch up with what the sources produced (default 3 s). */
  stopGraceMs?: number;
  onStatus?: (statuses: ComponentStatus[]) => void;
  /** How often sources that pace look for control commands (default 100 ms). */
  controlIntervalMs?: number;
  /**
   * Runs a sink somewhere else (a worker thread of the CLI's, with its own connection to the broker), so a
   * process's sinks use more than one core; undefined for a sink it leaves here. See HostedSink.
   */
  sinkHost?: (sink: SinkRequest) => HostedSink | undefined;
}

/** What a sink host is asked to run: the app's sink by its place in `spec.sinks`. */
export interface SinkRequest {
  binding: SinkBinding;
  index: number;
  /** Its status here: the host copies the sink's own into it as it runs. */
  status: StatusCell;
  signal: AbortSignal;
  /** The input topics whose misfits this sink dead-letters (see InputShape); absent: it checks none. */
  reports?: string[];
}

/** A sink run by a host: what the pipeline needs of it, as of a SinkRunner here. */
export interface HostedSink {
  /** Settles once the sink knows where it resumes, or rejects (output from another broker). */
  ready: Promise<void>;
  /** Until the pipeline's signal stops it; rejects with its failure. */
  run(): Promise<void>;
  /** Whether it has committed up to these positions (the drain's question). */
  caughtUp(targets: import('./record.ts').TopicPartitionOffset[]): boolean;
  /** The partitions it reads now, when it can say (see Paced). */
  assigned?(): Array<{ topic: string; partition: number }> | undefined;
}

export interface RunningPipeline {
  /** Resolves when the pipeline finished (input ended or drained) or was stopped; rejects on a fatal error. */
  done: Promise<void>;
  stop(): void;
  statuses(): ComponentStatus[];
  /** After a final drain (RunOptions.final): whether it ended the input, or why not. */
  inputEnd(): InputEnd | undefined;
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
  let inputEnd: InputEnd | undefined;

  const done = (async () => {
    // Before anything is written (topics, status, a source's first batch): a place that can never be
    // written fails the run now, in one line, instead of a sink retrying it forever.
    checkPlaces(outputPlaces(spec, roles));
    const partitions = await createTopics(broker, spec, roles);
    const publisher = publishStatus(broker, statuses, o.statusIntervalMs ?? 1000, o.onStatus);
    const tasks: Array<Promise<void>> = [];
    const processorLoops: Paced[] = [];
    const sinkLoops: Paced[] = [];
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
    let following: Promise<void> | undefined;
    try {
      // Before any processor or sink reads: a source that refuses to go on with what its topic holds (a
      // simulation asked for other settings) must stop the run before anything acts on that with this run's.
      if (roles.sources) {
        for (const { source, topic } of spec.sources) {
          if (source.prepare) await source.prepare((await sourceContext(broker, topic, log, stopSources.signal)).ctx);
        }
      }
      if (roles.consumers) {
        for (const processor of spec.processors) {
          if (!isStatefulBroker(broker)) {
            throw new RunnelError(ErrorCodes.CONFIG_INVALID, `${broker.url} cannot keep ${processor.name}'s state`);
          }
          const status = cell('processor', processor.name, processor.inputs);
          const r = new TaskRunner({
            broker,
            app: spec.id ?? spec.app,
            processor,
            log,
            signal: stopConsumers.signal,
            status,
            partitionsOf: (t) => partitions.get(t) ?? 1,
          });
          processorLoops.push({ loop: r, inputs: processor.inputs, status });
          const task = r.run();
          track(task);
          starting.push(startOf(r.ready, task));
        }
        spec.sinks.forEach((binding, index) => {
          const status = cell('sink', binding.sink.name, [binding.topic], binding.sink.target);
          const shape = inputShape([binding.topic]);
          const hosted = o.sinkHost?.({
            binding,
            index,
            status,
            signal: stopConsumers.signal,
            ...(shape.inputShape ? { reports: [...shape.inputShape.reports] } : {}),
          });
          const r =
            hosted ??
            new SinkRunner({ broker, app: spec.app, binding, log, signal: stopConsumers.signal, status, ...shape });
          sinkLoops.push({ loop: r instanceof SinkRunner ? r.loop : r, inputs: [binding.topic], status });
          const task = r.run();
          track(task);
          starting.push(startOf(r.ready, task));
        });
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
      // A source that paces gets a control; the dashboard reaches it through the control topic.
      const controls = new Map<string, ReplayControl[]>();
      const controlOf = (source: Source): ReplayControl | undefined => {
        const pacing = source.pacing?.();
        if (!pacing) return undefined;
        const control = new ReplayControl({ speed: initialSpeed(pacing) });
        // Published at once, not at the next tick, so the dashboard shows a click's effect promptly (after
        // the source runner has copied the new state into the status).
        control.onChange(() => setImmediate(publisher.now));
        controls.set(source.name, [...(controls.get(source.name) ?? []), control]);
        return control;
      };
      const hold =
        roles.sources && roles.consumers
          ? backlogGate(broker, [...processorLoops, ...sinkLoops], stopSources.signal)
          : undefined;
      // One start for all of this run's sources (see SourceRunOptions.runStart).
      const runStart = newRunStart();
      const sources =
        roles.sources && !failure
          ? spec.sources.map(({ source, topic, schema }) => {
              const control = controlOf(source);
              return runSource({
                broker,
                source,
                topic,
                ...(schema ? { schema } : {}),
                ...(control ? { control } : {}),
                ...(hold ? { hold } : {}),
                log,
                signal: stopSources.signal,
                status: cell('source', source.name, [topic]),
                ...(o.limit === undefined ? {} : { limit: o.limit }),
                ...(o.fromStart ? { fromStart: true } : {}),
                runStart,
              });
            })
          : [];
      if (controls.size > 0) {
        const target = { app: spec.app, pipeline: pipelineId, sources: controls };
        following = followControl(broker, target, stopSources.signal, log, o.controlIntervalMs);
      }
      let goesOn = false;
      const sourcesDone = Promise.all(sources).then(
        (ends) => {
          goesOn = ends.some((e) => e.goesOn);
        },
        (err: unknown) => {
          failure ??= err;
          onExternalStop();
        },
      );
      if (roles.sources && roles.consumers) {
        await sourcesDone;
        // Sources that ended by themselves (a file read, --limit) make bounded input: windows close at the
        // end, as with Flink's bounded sources. A stopped run keeps its windows open for the next one, as
        // does a file replay cut by --limit: the next run goes on with the rest of the file.
        const bounded = !stopSources.signal.aborted && !failure && !goesOn;
        if (!stopConsumers.signal.aborted)
          await drain(broker, processorLoops, sinkLoops, stopConsumers.signal, log, bounded);
        stopConsumers.abort();
      } else if (roles.sources) {
        await sourcesDone;
      } else if (o.drain) {
        const signal = stopConsumers.signal;
        const final = async () =>
          (await o.finalGuard?.()) ?? (await notHoldingEveryPartition(broker, processorLoops, signal, log));
        const end = await drain(broker, processorLoops, sinkLoops, signal, log, o.final ? final : false);
        if (o.final && !signal.aborted) inputEnd = end;
        stopConsumers.abort();
      }
      await Promise.all(tasks);
    } finally {
      stopSources.abort();
      stopConsumers.abort();
      await Promise.all(tasks);
      await following;
      await publisher.stop();
      clearTimeout(grace);
      o.signal?.removeEventListener('abort', onExternalStop);
    }
    if (failure) throw failure;
  })();

  return { done, stop: onExternalStop, statuses, inputEnd: () => inputEnd };
}

/** Every local file the consumers of this run will write: each sink's file (processors' state is in the broker). */
export function outputPlaces(spec: PipelineSpec, roles: { consumers: boolean } = { consumers: true }): OutputPlace[] {
  if (!roles.consumers) return [];
  const places: OutputPlace[] = spec.sinks.flatMap(({ sink }) =>
    sink.file === undefined
      ? []
      : [
          {
            path: sink.file,
            kind: 'file' as const,
            what: `${sink.name} output`,
            fix: 'give --data-dir a folder you can write',
          },
        ],
  );
  return places;
}

/** Creates the app's topics; returns every topic's partition count (stateful processors need them). */
async function createTopics(
  broker: Broker,
  spec: PipelineSpec,
  roles: { sources: boolean; consumers: boolean },
): Promise<Map<string, number>> {
  const configs: Record<string, TopicConfig> = { ...spec.topics };
  for (const p of spec.processors) Object.assign(configs, p.internalTopics, spec.topics);
  const names = new Set<string>(Object.keys(configs));
  for (const s of spec.sources) names.add(s.topic);
  for (const p of spec.processors) for (const t of [...p.inputs, ...p.outputs]) names.add(t);
  for (const s of spec.sinks) names.add(s.topic);
  void roles;
  for (const name of names) await broker.createTopic(name, configs[name] ?? {});
  for (const s of spec.sources) await broker.createTopic(dlqTopic(s.topic), {});
  await broker.createTopic(STATUS_TOPIC, { retentionMs: STATUS_RETENTION_MS });
  const partitions = new Map<string, number>();
  for (const name of names) partitions.set(name, (await broker.describeTopic(name))?.partitions.length ?? 1);
  for (const p of spec.processors) {
    const counts = new Set(p.inputs.map((t) => partitions.get(t)));
    if (counts.size > 1) {
      throw new RunnelError(
        ErrorCodes.CONFIG_INVALID,
        `${p.name} reads ${p.inputs.map((t) => `${t} (${partitions.get(t)} partitions)`).join(', ')}: ` +
          'inputs joined or merged in one step must have the same number of partitions',
      );
    }
  }
  return partitions;
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
  // A processor whose stream declares a schema dead-letters its own misfits (processors start first): the
  // sinks only skip them, or `<topic>.dlq` would hold each twice.
  const reporter = new Set<string>(spec.processors.flatMap((p) => p.checkedInputs ?? []));
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

/** How long a stopping run waits for each of its last status publishes (see publishStatus). */
const FINAL_STATUS_MS = 2000;

function publishStatus(
  broker: Broker,
  statuses: () => ComponentStatus[],
  intervalMs: number,
  onStatus?: (s: ComponentStatus[]) => void,
): { stop(): Promise<void>; now(): void } {
  let pending: Promise<unknown> = Promise.resolve();
  let stopped = false;
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
    now: () => {
      if (!stopped) publish();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      // Best effort here too, and bounded: with Kafka gone a produce waits out the client's retries (minutes),
      // and a Ctrl-C'd run waited for its last status with it after everything else had stopped.
      await settledWithin(pending, FINAL_STATUS_MS);
      publish();
      await settledWithin(pending, FINAL_STATUS_MS);
    },
  };
}
