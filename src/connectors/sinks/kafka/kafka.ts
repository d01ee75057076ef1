import { type Broker, writtenBefore } from '../../../core/broker.ts';
import { createBroker } from '../../../core/broker-registry.ts';
import type { Sink } from '../../../core/connector.ts';
import type { OutgoingRecord, StreamRecord } from '../../../core/record.ts';
import type { KafkaSinkConfig } from './spec.ts';

/**
 * Mirrors a topic into Apache Kafka: the seeds' "Kafka emitter". At-least-once: `write` resolves once
 * Kafka acknowledged the batch (acks from all in-sync replicas), and only then is the input committed; a
 * crash between the two re-sends that batch. Kafka keeps no consumed offsets with the data, so this sink
 * cannot be exactly-once without transactions; consumers that need it dedupe by the `runnel.source` header
 * (`topic/partition/offset` of the input record), which every mirrored record carries.
 */
export class KafkaSink implements Sink {
  name = 'kafka';
  readonly target: string;
  readonly #c: KafkaSinkConfig;
  #broker: Broker | undefined;
  /** The batch being written, kept while its write fails: what its retry has left to send. */
  #last: { first: StreamRecord | undefined; mapped: OutgoingRecord[]; written: number } | undefined;

  constructor(config: KafkaSinkConfig) {
    this.#c = config;
    this.target = `${config.url} topic ${config.topic}`;
  }

  async open(): Promise<void> {
    const broker = await createBroker(this.#c.url);
    try {
      await broker.connect();
      await broker.createTopic(this.#c.topic, { partitions: this.#c.partitions });
    } catch (err) {
      await broker.close().catch(() => {});
      throw err;
    }
    this.#broker = broker;
  }

  async write(records: StreamRecord[]): Promise<undefined> {
    // A retry of a failed write hands the same records: it sends the same objects from where the broker said
    // the last one failed, so the broker can look whether the failed chunk landed before sending it again.
    const last = this.#last;
    const batch =
      last && last.first === records[0] && last.mapped.length === records.length
        ? last
        : { first: records[0], mapped: records.map(mirrored), written: 0 };
    this.#last = batch;
    try {
      await this.#broker!.produce(
        this.#c.topic,
        batch.written === 0 ? batch.mapped : batch.mapped.slice(batch.written),
      );
    } catch (err) {
      batch.written += writtenBefore(err);
      throw err;
    }
    this.#last = undefined;
    return undefined;
  }

  async verify(): Promise<void> {
    await this.open();
    await this.close();
  }

  async close(): Promise<void> {
    const b = this.#broker;
    this.#broker = undefined;
    await b?.close();
  }
}

/** The record as mirrored: its key, value, time and headers, plus where it came from (for dedupe). */
function mirrored(r: StreamRecord): OutgoingRecord {
  return {
    key: r.key,
    value: r.value,
    timestamp: r.timestamp,
    headers: { ...r.headers, 'runnel.source': `${r.topic}/${r.partition}/${r.offset}` },
  };
}
