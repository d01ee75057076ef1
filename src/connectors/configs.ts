import type { z } from 'zod';
import type { Sink, Source } from '../core/connector.ts';
import { createSink, createSource } from '../core/connector-registry.ts';
import type { cassandraSinkSchema } from './sinks/cassandra/spec.ts';
import type { tableSinkSchema } from './sinks/columns.ts';
import type { jsonlSinkSchema } from './sinks/jsonl/spec.ts';
import type { kafkaSinkSchema } from './sinks/kafka/spec.ts';
import type { postgresSinkSchema } from './sinks/postgres/spec.ts';
import type { csvSchema } from './sources/csv/spec.ts';
import type { generatorSchema } from './sources/generator/spec.ts';
import type { httpSourceSchema } from './sources/http/spec.ts';
import type { jsonSchema } from './sources/json/spec.ts';
import type { kafkaSourceSchema } from './sources/kafka/spec.ts';

/**
 * What each built-in source takes, as its schema reads it (z.input: options with defaults may be left
 * out). The registry checks a config at run time; these types check it as it is written, so a misspelt
 * option or kind is a compile error in a user's pipeline file, not a CONFIG_INVALID when it runs.
 */
export interface SourceConfigs {
  csv: z.input<typeof csvSchema>;
  generator: z.input<typeof generatorSchema>;
  http: z.input<typeof httpSourceSchema>;
  json: z.input<typeof jsonSchema>;
  kafka: z.input<typeof kafkaSourceSchema>;
}

/** What each built-in sink takes (see SourceConfigs). */
export interface SinkConfigs {
  cassandra: z.input<typeof cassandraSinkSchema>;
  duckdb: z.input<typeof tableSinkSchema>;
  jsonl: z.input<typeof jsonlSinkSchema>;
  kafka: z.input<typeof kafkaSinkSchema>;
  postgres: z.input<typeof postgresSinkSchema>;
  sqlite: z.input<typeof tableSinkSchema>;
}

/** A built-in source by name: `source('csv', { path: 'readings.csv' })`. */
export function source<K extends keyof SourceConfigs>(kind: K, config: SourceConfigs[K]): Source {
  return createSource(kind, config);
}

/** A built-in sink by name: `sink('sqlite', { path: 'out.sqlite', table: 'readings' })`. */
export function sink<K extends keyof SinkConfigs>(kind: K, config: SinkConfigs[K]): Sink {
  return createSink(kind, config);
}
