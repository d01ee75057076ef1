import { Worker } from 'node:worker_threads';
import { type ErrorCode, ErrorCodes, RunnelError } from '../../core/errors.ts';
import type { HostedSink, SinkRequest } from '../../core/pipeline.ts';
import type { TopicPartitionOffset } from '../../core/record.ts';
import { caughtUpTo } from '../../core/runners/consumer-loop.ts';
import type { FromThread, ThreadData, ToThread, WireError } from './protocol.ts';

/** How long a thread may take to close its broker connection and end after the pipeline. */
const CLOSE_MS = 5000;

/** The worker's entry beside this file: .ts when running from source, .js when built. */
const ENTRY = new URL(`./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * Runs an app's sinks in worker threads, each with its own connection to the broker, as `runnel consume`
 * in another process would: a sink's writes (SQLite inserts, DuckDB appends, JSONL fsyncs) then use a
 * second core instead of taking turns with the source and the processors. Sinks writing one file go to
 * one thread (DuckDB keeps one instance per file per process: two threads opening it would be two
 * writers); files are spread over at most `threads` threads. Statuses and committed positions come back
 * as messages, so the pipeline publishes, drains and summarises them as it does its own sinks'.
 */
export class SinkThreads {
  readonly #data: ThreadData;
  readonly #threads: number;
  readonly #workers: Array<{ worker: Worker; sinks: Map<number, Remote> }> = [];
  readonly #byFile = new Map<string, number>();

  constructor(data: ThreadData, threads: number) {
    this.#data = data;
    this.#threads = threads;
  }

  /** The pipeline's sinkHost. */
  readonly host = (req: SinkRequest): HostedSink | undefined => {
    if (this.#threads < 1 || req.binding.here) return undefined;
    const file = req.binding.sink.file ?? req.binding.sink.target;
    let slot = this.#byFile.get(file);
    if (slot === undefined) {
      slot = this.#byFile.size % this.#threads;
      this.#byFile.set(file, slot);
    }
    const w = this.#workers[slot] ?? this.#start();
    this.#workers[slot] = w;
    // `add` before the Remote exists: a stop it sends (the pipeline stopped already) comes after it.
    w.worker.postMessage({
      t: 'add',
      i: req.index,
      name: req.binding.sink.name,
      topic: req.binding.topic,
      status: { ...req.status.status },
      stopped: req.signal.aborted,
      ...(req.reports ? { reports: req.reports } : {}),
    } satisfies ToThread);
    const remote = new Remote(req, (m) => w.worker.postMessage(m));
    w.sinks.set(req.index, remote);
    return remote;
  };

  /**
   * Once the pipeline is over (its sinks ended): each thread closes its broker connection and ends; one that
   * does not within CLOSE_MS is terminated. The main thread decides, never a thread on its own, so no sink is
   * cut off in the middle of a write.
   */
  async close(): Promise<void> {
    await Promise.all(
      this.#workers.map(async ({ worker }) => {
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        worker.postMessage({ t: 'close' } satisfies ToThread);
        const timer = setTimeout(() => void worker.terminate(), CLOSE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  #start(): { worker: Worker; sinks: Map<number, Remote> } {
    const worker = new Worker(ENTRY, { workerData: this.#data });
    const entry = { worker, sinks: new Map<number, Remote>() };
    worker.on('message', (m: FromThread) => {
      if (m.t === 'fatal') {
        for (const r of entry.sinks.values()) r.fail(m.error);
        return;
      }
      entry.sinks.get(m.i)?.receive(m);
    });
    // A thread that dies (out of memory, a crash in a native module) fails its sinks, never hangs the run;
    // after close every sink has settled, and this fails none.
    const lost = (err: Error | number) => {
      const message =
        typeof err === 'number' ? `a sink thread exited with code ${err}` : `a sink thread failed: ${err.message}`;
      for (const r of entry.sinks.values()) r.fail({ code: ErrorCodes.INTERNAL, message });
    };
    worker.on('error', lost);
    worker.on('exit', lost);
    return entry;
  }
}

/** One sink in a thread, as the pipeline sees it. */
class Remote implements HostedSink {
  readonly #req: SinkRequest;
  readonly #ready = Promise.withResolvers<void>();
  readonly #done = Promise.withResolvers<void>();
  readonly #positions = new Map<string, number>();
  #settled = false;
  #assigned: Array<{ topic: string; partition: number }> | undefined;
  readonly ready = this.#ready.promise;

  /** The partitions its thread's consumer reads, as last reported (the pipeline's back-pressure asks). */
  assigned(): Array<{ topic: string; partition: number }> | undefined {
    return this.#assigned;
  }

  constructor(req: SinkRequest, post: (m: ToThread) => void) {
    this.#req = req;
    this.ready.catch(() => {});
    this.#done.promise.catch(() => {});
    const stop = () => post({ t: 'stop', i: req.index });
    if (req.signal.aborted) stop();
    else req.signal.addEventListener('abort', stop, { once: true });
  }

  run(): Promise<void> {
    return this.#done.promise;
  }

  caughtUp(targets: TopicPartitionOffset[]): boolean {
    return caughtUpTo(this.#positions, targets);
  }

  receive(m: FromThread): void {
    if (m.t === 'ready') this.#ready.resolve();
    else if (m.t === 'state') {
      // Replaced, not merged: a lastError the sink cleared when it recovered must go here too.
      const mine = this.#req.status.status as unknown as Record<string, unknown>;
      for (const k of Object.keys(mine)) if (!(k in m.status)) delete mine[k];
      Object.assign(mine, m.status);
      for (const [k, offset] of m.positions) this.#positions.set(k, offset);
      this.#assigned = m.assigned;
    } else if (m.t === 'done') this.#settle();
    else if (m.t === 'failed') this.fail(m.error);
  }

  fail(e: WireError): void {
    if (this.#settled) return;
    const err = new RunnelError((e.code ?? ErrorCodes.INTERNAL) as ErrorCode, e.message, {
      retriable: e.retriable ?? false,
    });
    // The dashboard shows the failure, not the last state the thread sent before it.
    this.#req.status.set('failed', e.message);
    this.#settle(err);
  }

  #settle(err?: RunnelError): void {
    if (this.#settled) return;
    this.#settled = true;
    if (err) {
      this.#ready.reject(err);
      this.#done.reject(err);
    } else {
      this.#ready.resolve();
      this.#done.resolve();
    }
  }
}
