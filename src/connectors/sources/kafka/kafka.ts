import type { Broker, Consumer } from '../../../core/broker.ts';
import { createBroker } from '../../../core/broker-registry.ts';
import type { Source, SourceContext, SourceItem } from '../../../core/connector.ts';
import { eventTime } from '../../../core/event-time.ts';
import { type StreamRecord, type TopicPartitionOffset, tpKey } from '../../../core/record.ts';
import { retrying } from '../../../core/retry.ts';
import { positionsOf } from '../../../core/runners/consumer-loop.ts';
import { shortId } from '../../../core/runners/place-id.ts';
import type { KafkaSourceConfig } from './spec.ts';

/**
 * Reads an existing Kafka topic (the seeds' own Python producers, kcat, any client) into a runnel topic.
 * At-least-once: the runtime produces each batch durably before it asks for the next, and only then does
 * this source commit the batch's offsets to its Kafka group, so a crash re-reads at most one batch.
 */
export class KafkaSource implements Source {
  readonly name: string;
  readonly #c: KafkaSourceConfig;
  #broker: Broker | undefined;
  #consumer: Consumer | undefined;
  /** The batch last yielded, until the runtime says how much of it it produced (see committed). */
  #batch: StreamRecord[] = [];
  #retry: { signal: AbortSignal; log: SourceContext['log'] } | undefined;

  constructor(config: KafkaSourceConfig) {
    this.#c = config;
    this.name = `kafka ${config.url}/${config.topic}`;
  }

  async *read(ctx: SourceContext): AsyncIterable<SourceItem[]> {
    const c = this.#c;
    // One group per destination: the position says how far this topic was copied into that runnel topic.
    const into = ctx.destination?.id;
    const group = c.group ?? `runnel.source.${c.topic}${into === undefined ? '' : `.${shortId(into)}`}`;
    const broker = await createBroker(c.url);
    this.#broker = broker;
    await broker.connect();
    // Where a one-off import ends: the end offsets when it started, from the group's position.
    const position = new Map<string, number>();
    let targets: TopicPartitionOffset[] | undefined;
    if (!c.follow) {
      const info = await broker.describeTopic(c.topic);
      targets = (info?.partitions ?? []).map((p) => ({ topic: c.topic, partition: p.partition, offset: p.endOffset }));
      for (const p of info?.partitions ?? []) position.set(tpKey(c.topic, p.partition), p.startOffset);
      for (const g of await broker.listGroups(group)) {
        if (g.topic === c.topic) position.set(tpKey(g.topic, g.partition), g.committed);
      }
    }
    const consumer = broker.consumer({ group, topics: [c.topic], startFrom: c.startFrom, clientId: group });
    this.#consumer = consumer;
    // A broker blip, or the topic between its delete and its creation (a seed producer restarting), is
    // waited out as the runtime's own consumers do; the new topic is then read from its start.
    const retry = { signal: ctx.signal, log: ctx.log };
    this.#retry = retry;
    while (!ctx.signal.aborted) {
      // Resumed means the runtime produced the previous batch durably (a reader that never calls
      // committed() still moves the group on here).
      await this.committed(this.#batch.length);
      if (targets?.every((t) => (position.get(tpKey(t.topic, t.partition)) ?? 0) >= t.offset)) return;
      const records = await retrying(
        `${this.name}: poll`,
        () => consumer.poll({ maxRecords: c.batch, maxWaitMs: 500, signal: ctx.signal }),
        retry,
      );
      if (records.length === 0) continue;
      this.#batch = records;
      for (const p of positionsOf(records)) position.set(tpKey(p.topic, p.partition), p.offset);
      yield records.map((r) => ({
        kind: 'record' as const,
        record: {
          key: r.key,
          value: r.value,
          timestamp: eventTime(r.value, c.timestampField, r.timestamp),
          headers: r.headers,
        },
        position: `${c.url}/${c.topic}/${r.partition}/${r.offset}`,
      }));
    }
  }

  /**
   * The runtime produced the first `handled` records of the last batch: their offsets are committed now,
   * not when the next batch is asked for, which never happens after `--limit` (the run ended with the
   * group's position one batch behind, and the seed's group showed nothing read at all).
   */
  async committed(handled: number): Promise<void> {
    const done = this.#batch.slice(0, handled);
    this.#batch = [];
    const consumer = this.#consumer;
    if (done.length === 0 || !consumer || !this.#retry) return;
    await retrying(`${this.name}: commit`, () => consumer.commit(positionsOf(done)), this.#retry);
  }

  async close(): Promise<void> {
    const consumer = this.#consumer;
    const broker = this.#broker;
    this.#consumer = undefined;
    this.#broker = undefined;
    await consumer?.close().catch(() => {});
    await broker?.close();
  }
}
