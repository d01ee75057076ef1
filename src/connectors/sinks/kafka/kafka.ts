import type { Broker } from '../../../core/broker.ts';
import { createBroker } from '../../../core/broker-registry.ts';
import type { Sink } from '../../../core/connector.ts';
import type { StreamRecord } from '../../../core/record.ts';
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
    await this.#broker!.produce(
      this.#c.topic,
      records.map((r) => ({
        key: r.key,
        value: r.value,
        timestamp: r.timestamp,
        headers: {
          ...r.headers,
          'runnel.source': `${r.topic}/${r.partition}/${r.offset}`,
        },
      })),
    );
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
