import type { SinkBinding } from '../app.ts';
import type { Broker } from '../broker.ts';
import type { SinkWriteResult } from '../connector.ts';
import { deadLetterForRecord, dlqTopic } from '../dlq.ts';
import { formatError, toRunnelError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { StreamRecord } from '../record.ts';
import { retrying } from '../retry.ts';
import type { StatusCell } from '../status-cell.ts';
import { columnSlips } from './column-slips.ts';
import { ConsumerLoop, type InputShape } from './consumer-loop.ts';
import { placeId } from './place-id.ts';
import { placesOf } from './places-of.ts';

/** A record's place on its topic, which names it across tries of a batch. */
const placeOf = (r: StreamRecord): string => `${r.topic}\u0000${r.partition}\u0000${r.offset}`;

/**
 * One group per sink *and target*: the same app writing into two data folders (or two clusters) is two
 * consumers that each need every record, not two members splitting the partitions of one.
 */
export const sinkGroup = (app: string, sinkName: string, target: string): string =>
  `runnel.${app}.sink.${sinkName}.${placeId(target)}`;

/**
 * Records a sink writes per batch at most: each batch is one transaction with its positions (an fsync in
 * DuckDB's commit, jsonl's two), so a backlog goes in fewer of them; small enough that one write holds the
 * event loop for some 20 ms at most. 10000 rather than 5000: DuckDB's and jsonl's fsyncs set the pace of
 * a three-sink run, 0.92x its wall time (into sqlite alone, 0.95x).
 */
const SINK_BATCH_RECORDS = 10_000;
/**
 * How long a sink's batch waits to fill (Kafka's linger.ms, Flink's buffer timeout): what one write
 * costs whatever its size (a transaction, jsonl's two fsyncs) is then paid per 10000 records under load
 * instead of per source batch, for at most this much more latency.
 */
const SINK_LINGER_MS = 50;

export interface SinkRunOptions {
  broker: Broker;
  app: string;
  binding: SinkBinding;
  status: StatusCell;
  log: Logger;
  signal: AbortSignal;
  inputShape?: InputShape;
}

/** One sink, its own consumer group: it catches up from its own position and fails alone. */
export class SinkRunner {
  readonly loop: ConsumerLoop;
  readonly #o: SinkRunOptions;
  readonly #openFailed = Promise.withResolvers<void>();
  /** The loop's `ready`, or the first failed open: a sink that cannot open yet must not hold sources back. */
  readonly ready: Promise<void>;

  constructor(o: SinkRunOptions) {
    this.#o = o;
    const { sink, topic } = o.binding;
    let columnsChecked = false;
    /** The batch whose dead letters `lettered` names (by place), while the loop tries it again. */
    let letteredFor: StreamRecord[] | undefined;
    const lettered = new Set<string>();
    this.loop = new ConsumerLoop({
      broker: o.broker,
      group: sinkGroup(o.app, sink.name, sink.target),
      topics: [topic],
      status: o.status,
      log: o.log,
      signal: o.signal,
      retryAlways: true,
      // Sinks only read what they write out: the process may share one decoded batch between them.
      readOnly: true,
      maxRecords: SINK_BATCH_RECORDS,
      lingerMs: SINK_LINGER_MS,
      ...(o.inputShape ? { inputShape: o.inputShape } : {}),
      ...(sink.storedPositions ? { storedPositions: () => sink.storedPositions!(), holder: sink.target } : {}),
      handle: async (records, positions) => {
        if (!columnsChecked && records.length > 0) {
          columnsChecked = true;
          for (const [column, field] of columnSlips(sink.columnNames, records))
            o.log.warn(
              `${sink.name}: column "${column}" is in no record of ${topic} (did you mean "${field}"?): it stays empty`,
            );
        }
        // A sink that commits its positions with its output writes its dead letters through this before it
        // commits (see SinkWriteOptions): a kill -9 between its commit and a produce here lost them. A failed
        // produce fails the write, which the loop tries again whole: nothing of it was committed.
        const produceLetters = (rejected: NonNullable<SinkWriteResult['rejected']>) =>
          o.broker.produce(
            dlqTopic(topic),
            rejected.map((r) => deadLetterForRecord(r.record, r.error)),
          );
        // The loop tries a failed batch again with the same records: letters this process produced for it in
        // an earlier try (the write failed after them: a lock held elsewhere, a full disk) are not produced
        // again, only a crash writes them twice.
        if (letteredFor !== records) {
          letteredFor = records;
          lettered.clear();
        }
        const deadLetters = async (rejected: NonNullable<SinkWriteResult['rejected']>) => {
          const fresh = rejected.filter((r) => !lettered.has(placeOf(r.record)));
          if (fresh.length > 0) await produceLetters(fresh);
          for (const r of rejected) lettered.add(placeOf(r.record));
        };
        const result = await sink.write(records, positions, { deadLetters });
        const rejected = result?.rejected ?? [];
        // Refusals the sink did not hand to deadLetters (a sink without transactions, a user's own, or one
        // that handed over only some): the batch and its positions are durable now, so a failed produce of
        // them is retried here, alone. Failing the whole batch wrote it again, and a sink that finds it
        // stored rejects nothing the second time, so the dead letters were lost (a DuckDB table held it twice).
        const after = rejected.filter((r) => !lettered.has(placeOf(r.record)));
        letteredFor = undefined;
        lettered.clear();
        if (rejected.length === 0) return;
        if (after.length > 0)
          await retrying(`${sink.name}: dead letters to ${dlqTopic(topic)}`, () => produceLetters(after), {
            signal: o.signal,
            log: o.log,
            status: o.status,
            always: true,
          }).catch((err: unknown) => {
            // Stopped (Ctrl-C) or refused for good while the broker would not take them: the batch is stored,
            // so no restart writes these dead letters. Their records are still on the topic: say where.
            o.log.error(
              `${sink.name}: ${after.length} dead letter(s) not written to ${dlqTopic(topic)} (${formatError(toRunnelError(err))}); the records are still on ${topic} at ${placesOf(after.map((r) => r.record))}`,
            );
            throw err;
          });
        o.status.status.dlq += rejected.length;
        o.log.warn(
          `${sink.name}: ${rejected.length} record(s) rejected to ${dlqTopic(topic)}: ${rejected[0]!.error.message}`,
        );
      },
    });
    this.ready = Promise.race([this.#openFailed.promise, this.loop.ready]);
  }

  async run(): Promise<void> {
    const { sink } = this.#o.binding;
    const retry = { signal: this.#o.signal, log: this.#o.log, status: this.#o.status, always: true };
    try {
      await retrying(
        `${sink.name}: open ${sink.target}`,
        () =>
          sink.open({ signal: this.#o.signal, log: this.#o.log }).catch((err: unknown) => {
            this.#openFailed.resolve();
            throw err;
          }),
        retry,
      );
    } catch (err) {
      // Stopped (Ctrl-C) while waiting to open (a file another worker holds): a stop, not a failure.
      if (this.#o.signal.aborted) {
        this.#o.status.set('stopped');
        await sink.close().catch(() => {});
        return;
      }
      throw err;
    }
    try {
      if (!this.#o.signal.aborted) await this.loop.run();
      // Stopped as it opened (a drain with nothing to do ends that soon): its last status must say so, or
      // it reads as a process still running (`already running (pid …)`) until it goes stale.
      else this.#o.status.set('stopped');
    } finally {
      await sink.close().catch((err: unknown) => this.#o.log.warn(`${sink.name}: close: ${(err as Error).message}`));
    }
  }
}
