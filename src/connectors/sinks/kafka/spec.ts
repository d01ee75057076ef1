import { z } from 'zod';
import { kafkaUrl } from '../../kafka-url.ts';

/**
 * `url`: the Kafka cluster to mirror into (it may differ from the pipeline's broker). `topic`: the topic
 * there (created on demand with `partitions`). Keys, headers and event timestamps are kept.
 */
export const kafkaSinkSchema = z.strictObject({
  url: kafkaUrl,
  topic: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be a Kafka topic name (letters, digits, . _ -)'),
  partitions: z.number().int().positive().default(1),
});
export type KafkaSinkConfig = z.infer<typeof kafkaSinkSchema>;
