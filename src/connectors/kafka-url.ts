import { z } from 'zod';

/** A Kafka cluster for a connector: `kafka://host:port[,host:port]`, the same form as `--broker`. */
export const kafkaUrl = z.string().regex(/^kafka:\/\/[^/?#\s]+(\?[^#\s]*)?$/, 'must be kafka://host:port[,host:port]');

/** A Kafka topic name, as Kafka allows it (letters, digits, `.`, `_`, `-`). */
export const kafkaTopic = z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be a Kafka topic name (letters, digits, . _ -)');

/**
 * `kafka://host:port/topic` (the `--from` flag) split into the cluster URL and the topic, so one string
 * names an existing topic anywhere. Undefined when the string is not of that form.
 */
export function splitKafkaTopicUrl(raw: string): { url: string; topic: string } | undefined {
  const m = /^(kafka:\/\/[^/?#\s]+)\/([A-Za-z0-9._-]+)(\?[^#\s]*)?$/.exec(raw);
  return m ? { url: `${m[1]}${m[3] ?? ''}`, topic: m[2]! } : undefined;
}

/** The seeds' `KAFKA_BROKER_ADDRESS` (host:port) as a URL, else Kafka's usual 127.0.0.1:9092. */
export function seedsKafkaUrl(env: Record<string, string | undefined>): string {
  return `kafka://${env.KAFKA_BROKER_ADDRESS || '127.0.0.1:9092'}`;
}
