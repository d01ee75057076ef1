import { registerConnector } from '../../core/connector-registry.ts';
import { CsvSource } from './csv/csv.ts';
import { csvSchema } from './csv/spec.ts';
import { GeneratorSource } from './generator/generator.ts';
import { generatorSchema } from './generator/spec.ts';
import { HttpSource } from './http/http.ts';
import { httpSourceSchema } from './http/spec.ts';
import { JsonSource } from './json/json.ts';
import { jsonSchema } from './json/spec.ts';
import { KafkaSource } from './kafka/kafka.ts';
import { kafkaSourceSchema } from './kafka/spec.ts';

registerConnector({
  kind: 'source',
  name: 'generator',
  description: "the seeds' rich buzz message at a given rate, seeded",
  schema: generatorSchema,
  create: (c) => new GeneratorSource(c),
});
registerConnector({
  kind: 'source',
  name: 'csv',
  description: 'replays a CSV file by rate or by event time × speed',
  schema: csvSchema,
  create: (c) => new CsvSource(c),
});
registerConnector({
  kind: 'source',
  name: 'json',
  description: 'a JSONL or JSON array file, once or followed as it grows',
  schema: jsonSchema,
  create: (c) => new JsonSource(c),
});
registerConnector({
  kind: 'source',
  name: 'kafka',
  description: 'an existing Kafka topic written by any client (JSON parsed, other values as text)',
  schema: kafkaSourceSchema,
  // kafka.ts reaches Kafka through the broker registry, so the client loads only when it is used.
  create: (c) => new KafkaSource(c),
});
registerConnector({
  kind: 'source',
  name: 'http',
  description: 'polls a JSON HTTP API: pages or a cursor, backoff, Retry-After, a position kept per topic',
  schema: httpSourceSchema,
  create: (c) => new HttpSource(c),
});
