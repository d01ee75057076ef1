import { registerConnector } from '../../core/connector-registry.ts';
import { CsvSource } from './csv/csv.ts';
import { csvSchema } from './csv/spec.ts';
import { GeneratorSource } from './generator/generator.ts';
import { generatorSchema } from './generator/spec.ts';
import { JsonSource } from './json/json.ts';
import { jsonSchema } from './json/spec.ts';

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
