import { z } from 'zod';
import { kafkaTopic, kafkaUrl } from '../../kafka-url.ts';

/**
 * `url`: the Kafka cluster to mirror into (it may differ from the pipeline's broker). `topic`: the topic
 * there (created on demand with `partitions`). Keys, headers and event timestamps are kept.
 */
export const kafkaSinkSchema = z.strictObject({
  url: kafkaUrl,
  topic: kafkaTopic,
  partitions: z.number().int().positive().default(1),
});
export type KafkaSinkConfig = z.infer<typeof kafkaSinkSchema>;
