import { z } from 'zod';
import { kafkaTopic, kafkaUrl } from '../../kafka-url.ts';

/**
 * `url` + `topic`: an existing Kafka topic, written by any client (JSON values arrive parsed, anything
 * else as text). `group`: the consumer group that keeps this source's position (default
 * `runnel.source.<topic>.<id of the runnel topic it copies into>`). `startFrom`: where a new group starts. `follow: false` stops once caught up
 * with what the topic held at start, for a one-off import.
 */
export const kafkaSourceSchema = z.strictObject({
  url: kafkaUrl,
  topic: kafkaTopic,
  group: z.string().min(1).optional(),
  startFrom: z.enum(['beginning', 'end']).default('beginning'),
  follow: z.boolean().default(true),
  batch: z.number().int().positive().max(100_000).default(2000),
  /** Field of a JSON value holding event time (ISO, `YYYY-MM-DD HH:MM:SS` as UTC, or epoch s/ms); default: the Kafka timestamp. */
  timestampField: z.string().optional(),
});
export type KafkaSourceConfig = z.infer<typeof kafkaSourceSchema>;
