import type { z } from 'zod';
import { type Broker, newestMatching } from '../broker.ts';
import type { Source, SourceContext, SourceItem } from '../connector.ts';
import { Yielder } from '../cooperative.ts';
import { deadLetterForInput, dlqTopic, misfit, rawOf, warnDeadLetter } from '../dlq.ts';
import { toRunnelError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { OutgoingRecord } from '../record.ts';
import type { ReplayControl } from '../replay-control.ts';
import type { StatusCell } from '../status-cell.ts';
import { newRunStart, produceBatch, replayedItems } from './replay-resume.ts';
import { markPartitionEnds, newestRunMarks } from './run-mark.ts';

export interface SourceRunOptions {
  broker: Broker;
  source: Source;
  topic: string;
  status: StatusCell;
  log: Logger;
  signal: AbortSignal;
  /** Stop after this many good records. */
  limit?: number;
  /** Values that fail it are dead-lettered here, not produced (see SourceBinding.schema). */
  schema?: z.ZodType;
  /** Pause and speed of a source that paces (see Source.pacing); its state is shown in the status. */
  control?: ReplayControl;
  /** Waits while this process's consumers are far behind (see backlogGate); undefined = go on. */
  hold?: () => Promise<void> | undefined;
  /** A source that replays a file reads it from its start, not after what an earlier run made durable. */
  fromStart?: boolean;
  /**
   * When the pipeline run started (ms), the same for all its sources: the run its replay marks name (see
   * produceBatch). Two replays onto one topic in one run are then one run, not the one after the other.
   */
  runStart?: number;
}

/** How a source's run ended, when it was not stopped or failed. */
export interface SourceEnd {
  /**
   * A replay or a resuming source cut by `limit` (see Source.replay, .resumes): its input goes on in a later run, so this run's input is
   * not bounded (its windows must stay open for what comes next).
   */
  goesOn: boolean;
}

/**
 * Drives one source: produces each batch durably before asking for the next (so memory stays bounded
 * by one batch), sends unparseable input to `<topic>.dlq`, and stops at `limit` or end of input.
 */
export async function runSource(o: SourceRunOptions): Promise<SourceEnd> {
  const { source, topic, status, log, signal } = o;
  let produced = 0;
  /** Items read from the source, good or not: names a record that has no position of its own. */
  let seen = 0;
  status.set('ok');
  const { ctx: base, partitions } = await sourceContext(o.broker, topic, log, signal);
  const { control } = o;
  const pacing = control ? source.pacing?.() : undefined;
  let unwatch: (() => void) | undefined;
  if (control && pacing) {
    const show = () => {
      status.status.paused = control.paused;
      status.status.speed = control.speed;
      status.status.ts = Date.now();
    };
    status.status.pacing = pacing.by;
    if (pacing.by === 'rate') status.status.rate = pacing.rate;
    show();
    unwatch = control.onChange(show);
  }
  // A file an earlier run replayed (part of) goes on after what that run made durable: a second run must not
  // put its readings on the topic twice (the seeds' producers did, and raised their alerts again).
  const replay = source.replay?.();
  /** When this run started: its marks say where the newest run got to (see produceBatch). */
  const run = o.runStart ?? newRunStart();
  const skip = replay
    ? await replayedItems(o.broker, topic, replay, log, status.status.name, { fromStart: o.fromStart === true, run })
    : 0;
  const ctx: SourceContext = { ...base, skip, ...(control && pacing ? { control } : {}) };
  const iterator = source.read(ctx)[Symbol.asyncIterator]();
  /** Stopped at `limit`; `cutMidBatch`: with items of the last batch left, so with input left for sure. */
  let cut = false;
  let cutMidBatch = false;
  // Every source is pulled here, so this one yield point covers them all (generator, csv, json, …).
  const yielder = new Yielder();
  try {
    while (!signal.aborted) {
      await yielder.turn();
      await o.hold?.();
      if (signal.aborted) break;
      const next = await iterator.next();
      if (next.done) break;
      const good: OutgoingRecord[] = [];
      const bad: OutgoingRecord[] = [];
      /** Items of this batch handled before `limit` cut it: the rest are neither produced nor dead-lettered. */
      let handled = 0;
      for (const item of next.value) {
        if (item.kind === 'record' && o.limit !== undefined && produced + good.length >= o.limit) break;
        handled++;
        seen++;
        if (item.kind === 'record') {
          const check = o.schema?.safeParse(item.record.value);
          if (check && !check.success) {
            const position = item.position ?? `${source.name} record ${seen}`;
            const error = misfit(topic, position, check.error, item.record.value);
            // The message starts with the input position, which names the source already (file, Kafka URL).
            warnDeadLetter(log, status.status.name, `${error.message} (sent to ${dlqTopic(topic)})`);
            bad.push(deadLetterForInput(topic, error, rawOf(item.record.value), position));
            continue;
          }
          good.push(item.record);
        } else {
          // Sources usually name the position in the message already (file:line): say it once.
          const where = item.error.message.startsWith(item.position) ? '' : `${item.position}: `;
          warnDeadLetter(
            log,
            status.status.name,
            `${source.name}: ${where}${item.error.message} (sent to ${dlqTopic(topic)})`,
          );
          bad.push(deadLetterForInput(topic, item.error, item.raw, item.position));
        }
      }
      cutMidBatch = handled < next.value.length;
      const mark = good.length > 0 ? source.runMark?.(handled) : undefined;
      await produceBatch(
        o.broker,
        topic,
        mark === undefined ? { good, bad } : runMarkedBatch(good, bad, partitions, mark),
        replay ? { replay, through: skip + seen, run } : undefined,
        `${status.status.name}: produce`,
        // Let go when stopping: what did not land is made again by the next run (see the catch below).
        { signal, log, status, letGoOnStop: true },
        { handOver: source.handsOver === true },
      );
      // Only now may a source that keeps its own position move it past these items.
      await source.committed?.(handled, good.length);
      produced += good.length;
      status.status.records = produced;
      status.status.dlq += bad.length;
      status.status.ts = Date.now();
      if (o.limit !== undefined && produced >= o.limit) {
        cut = true;
        break;
      }
    }
    if (skip > 0 && seen === 0 && !signal.aborted)
      log.info(`${status.status.name}: nothing in ${replay?.input} after what was replayed before`);
    // Its input ended or its limit was reached: done. Stopped (Ctrl-C) with input left: stopped, as its
    // consumers say; the overview said "done" of a source that had been interrupted.
    const resumable = replay !== undefined || source.resumes === true;
    const goesOn = cut && resumable && !signal.aborted && (cutMidBatch || (await more(iterator)));
    status.set(signal.aborted ? 'stopped' : 'done');
    if (goesOn) {
      const note = source.cutNote?.(produced);
      log.info(
        `${status.status.name}: stopped at --limit with more of ${replay?.input ?? 'its input'} left; the next run goes on from there${note ? `; ${note}` : ''}`,
      );
    }
    return { goesOn };
  } catch (err) {
    // Stopped (Ctrl-C) while a produce was being retried (the broker away): a stop, not a failure. The batch
    // in hand is not on the topic, so the next run makes it again; a stopped run exited 1 with Kafka's error.
    if (signal.aborted && toRunnelError(err).retriable) {
      status.set('stopped');
      return { goesOn: false };
    }
    status.set('failed', (err as Error).message);
    throw err;
  } finally {
    unwatch?.();
    await iterator.return?.();
    await source.close?.();
  }
}

/**
 * Whether a source stopped at a batch's end has items left: the limit fell on the last item of a replay
 * whose input then ends makes bounded input like any other. Reads its next batch, which no one produces:
 * a later run reads it again (it is past the replay's mark). A paced source may wait its next item's time.
 */
async function more(iterator: AsyncIterator<SourceItem[]>): Promise<boolean> {
  for (;;) {
    const next = await iterator.next();
    if (next.done) return false;
    if (next.value.length > 0) return true;
  }
}

/**
 * What a source on `topic` is told of its destination, the same for its prepare and its read (a pipeline
 * creates its topics before its sources start), and the topic's partitions (at least 1), which its run
 * marks are spread over.
 */
export async function sourceContext(
  broker: Broker,
  topic: string,
  log: Logger,
  signal: AbortSignal,
): Promise<{ ctx: SourceContext; partitions: number }> {
  const info = await broker.describeTopic(topic);
  // Its id names this destination.
  const destination = info?.id === undefined ? { topic } : { topic, id: info.id };
  const ctx: SourceContext = {
    signal,
    log,
    destination,
    newest: () => newestValues(broker, topic),
    runMarks: (within) => newestRunMarks(broker, topic, within),
  };
  return { ctx, partitions: Math.max(1, info?.partitions.length ?? 1) };
}

/** The value of the newest record of each partition of `topic` that holds any (see SourceContext.newest). */
async function newestValues(broker: Broker, topic: string): Promise<unknown[]> {
  return (await newestMatching(broker, topic, () => true, { step: 1, limit: 1 })).map((r) => r.value);
}

/** A source's batch with its run mark on each partition's last record, and which those are (see produceBatch). */
function runMarkedBatch(good: OutgoingRecord[], bad: OutgoingRecord[], partitions: number, mark: string) {
  const { records, marked } = markPartitionEnds(good, partitions, mark);
  return { good: records, bad, runMarked: marked };
}
