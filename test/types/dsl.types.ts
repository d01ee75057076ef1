/**
 * Types flow from a source's schema through every step: each `@ts-expect-error` line below must be a
 * compile error, and `npm run typecheck` (run by CI) fails if one of them compiles. Never executed.
 */
import { defineApp, sink, source, TopologyBuilder, valueStore, z } from '../../src/index.ts';

const Reading = z.object({ sensor: z.string(), celsius: z.number(), at: z.string() });
const t = new TopologyBuilder('types');
const readings = t.stream('readings', { schema: Reading, eventTime: 'at' });

readings.map((r) => r.celsius * 2);
// @ts-expect-error: a misspelt field
readings.map((r) => r.celcius);
// @ts-expect-error: a string field used as a number
readings.filter((r) => r.sensor > 3);

const fahrenheit = readings.map((r) => ({ sensor: r.sensor, f: (r.celsius * 9) / 5 + 32 }));
fahrenheit.filter((r) => r.f > 100);
// @ts-expect-error: map changed the type; celsius is gone
fahrenheit.filter((r) => r.celsius > 30);

// @ts-expect-error: eventTime names a field the schema does not have
t.stream('readings1', { schema: Reading, eventTime: 'timestmp' });
// without a schema any field name goes
t.stream('readings3', { eventTime: 'whatever' });

// eventTime as a function is typed by the schema too
// @ts-expect-error: no such field in the eventTime function
t.stream('readings2', { schema: Reading, eventTime: (r) => Date.parse(r.time) });

readings
  .keyBy((r) => r.sensor)
  .process({ stores: { last: valueStore<number>() } }, (r, ctx) => {
    ctx.stores.last.set(r.celsius);
    // @ts-expect-error: the store holds numbers
    ctx.stores.last.set(r.sensor);
    // @ts-expect-error: no such store
    ctx.stores.first.get();
    ctx.emit({ sensor: ctx.key });
  });

// @ts-expect-error: keyBy must return a string key
readings.keyBy((r) => r.celsius);

const [hot, rest] = readings.branch((r) => r.celsius > 30);
hot!.merge(rest!);
// @ts-expect-error: merging streams of different types
hot!.merge(fahrenheit);

const names = t.table('names', { schema: z.object({ name: z.string() }) });
readings.join(names, (r, n) => `${n.name}: ${r.celsius}`);
// @ts-expect-error: the table's values have no `label`
readings.join(names, (r, n) => `${n.label}: ${r.celsius}`);

// A per-batch flush sees the same typed stores and emits the step's output type.
readings
  .keyBy((r) => r.sensor, { repartition: false })
  .process(
    {
      stores: { last: valueStore<number>() },
      flush(ctx) {
        ctx.emit({ sensor: ctx.key, last: ctx.stores.last.get() ?? 0 });
        // @ts-expect-error: the store holds numbers
        ctx.stores.last.set('x');
        // @ts-expect-error: a flush has no current record to reject
        ctx.reject('no');
      },
    },
    (r, ctx) => {
      ctx.stores.last.set(r.celsius);
      ctx.log.info(`${ctx.origin.topic}@${ctx.origin.partition}:${ctx.origin.offset}`);
    },
  );
// @ts-expect-error: repartition can only be turned off (true is the default)
readings.keyBy((r) => r.sensor, { repartition: true });

// A sink kind is one runnel has: a misspelt one matched no --sinks and the table silently never appeared
defineApp({ name: 'kinds', pipeline() {}, sinks: [{ topic: 'readings', kinds: ['sqlite', 'jsonl'] }] });
// @ts-expect-error: no sink kind 'sqllite'
defineApp({ name: 'kinds2', pipeline() {}, sinks: [{ topic: 'readings', kinds: ['sqllite'] }] });

// Sources and sinks by name are typed by their options (SourceConfigs, SinkConfigs).
source('csv', { path: 'r.csv', columns: { temperature: 'number' }, rate: 10 });
source('generator', { rate: 10, seed: 1 });
sink('sqlite', { path: 'out.sqlite', table: 'readings' });
// @ts-expect-error: no source kind 'cvs'
source('cvs', { path: 'r.csv' });
// @ts-expect-error: a misspelt option (timestampColum)
source('csv', { path: 'r.csv', timestampColum: 'at' });
// @ts-expect-error: the csv source needs a path
source('csv', { rate: 10 });
// @ts-expect-error: rate is a number
source('generator', { rate: '10' });
// @ts-expect-error: no sink kind 'sqllite'
sink('sqllite', { path: 'out.sqlite', table: 'readings' });
// @ts-expect-error: a table sink needs its table
sink('duckdb', { path: 'out.duckdb' });
