import { z } from 'zod';

/** A Kafka cluster for a connector: `kafka://host:port[,host:port]`, the same form as `--broker`. */
export const kafkaUrl = z.string().regex(/^kafka:\/\/[^/?#\s]+(\?[^#\s]*)?$/, 'must be kafka://host:port[,host:port]');

/**
 * `kafka://host:port/topic` (the `--from` flag) split into the cluster URL and the topic, so one string
 * names an existing topic anywhere. Undefined when the string is not of that form.
 */
export function splitKafkaTopicUrl(raw: string): { url: string; topic: string } | undefined {
  const m = /^(kafka:\/\/[^/?#\s]+)\/([A-Za-z0-9._-]+)(\?[^#\s]*)?$/.exec(raw);
  return m ? { url: `${m[1]}${m[3] ?? ''}`, topic: m[2]! } : undefined;
}
