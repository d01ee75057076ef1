/**
 * A processor whose inputs all have schemas reads the decoded batches its process's sinks share
 * (TaskProcessor.readsCopies): its steps must still never change what the sinks write, even when a step
 * changes the value it is handed (a schema that returns its input as it is included).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import type { Sink } from '../../src/core/connector.ts';
import { silentLogger } from '../../src/core/log.ts';
import { runPipeline } from '../../src/core/pipeline.ts';
import type { StreamRecord } from '../../src/core/record.ts';
import { defineApp, z } from '../../src/index.ts';

/** Keeps every record it is handed; the first write waits, so the processor reads the batches first. */
function capturingSink(): Sink & { got: StreamRecord[] } {
  let first = true;
  const got: StreamRecord[] = [];
  return {
    name: 'capture',
    target: 'memory',
    got,
    open: async () => {},
    close: async () => {},
    write: async (records) => {
      if (first) await new Promise((r) => setTimeout(r, 200));
      first = false;
      // Compared after the run: a later change by the processor would show in what is kept here.
      got.push(...records);
      return { rejected: [] };
    },
  };
}

const schemas = {
  'an object schema': z.looseObject({ message: z.string(), n: z.number() }),
  'a schema that returns its input': z.any(),
  // zod builds a new outer object but keeps an any() field's value by reference.
  'an object schema with a nested any()': z.object({ message: z.string(), n: z.number(), meta: z.any() }),
  // Builds every part anew (parsesFresh): the task makes no copy of its own, zod's output is the copy.
  'a stripping object schema with a nested object': z.object({
    message: z.string(),
    n: z.number(),
    meta: z.object({ tag: z.string() }),
  }),
};

for (const [what, schema] of Object.entries(schemas)) {
  test(`a step that changes its input does not change what the sinks write (${what})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runnel-shared-'));
    const b = new LocalBroker(`local:${join(dir, 'broker.db')}`);
    await b.connect();
    try {
      const N = 5000;
      await b.createTopic('in', { partitions: 2 });
      const produced = Array.from({ length: N }, (_, i) => ({
        key: `k${i % 7}`,
        value: { message: `m${i}`, n: i, meta: { tag: 'orig' } },
      }));
      for (let i = 0; i < N; i += 1000) await b.produce('in', produced.slice(i, i + 1000));
      const app = defineApp({
        name: 'shared',
        partitions: 2,
        pipeline(t) {
          t.stream('in', { schema })
            .map((v: { message: string; n: number; meta: { tag: string } }) => {
              v.message = 'changed';
              v.n = -1;
              v.meta.tag = 'changed';
              return v;
            })
            .to('out');
        },
      });
      const spec = await app.build({ dataDir: join(dir, 'data'), sinks: [], env: {} });
      assert.equal(spec.processors.length, 1);
      assert.equal(spec.processors[0]!.readsCopies, true, 'the case under test: the processor shares batches');
      const sink = capturingSink();
      spec.sinks.push({ sink, topic: 'in' });
      await runPipeline({ broker: b, spec, log: silentLogger, roles: { sources: false, consumers: true }, drain: true })
        .done;
      const want = new Map(produced.map((p) => [p.value.n, p.value]));
      assert.equal(sink.got.length, N);
      for (const r of sink.got) assert.deepEqual(r.value, want.get((r.value as { n: number }).n));
      // And the processor did change its copies.
      const out = await b.describeTopic('out');
      let changed = 0;
      for (const p of out!.partitions)
        for (const r of await b.read('out', p.partition, 0, N)) {
          assert.deepEqual(r.value, { message: 'changed', n: -1, meta: { tag: 'changed' } });
          changed++;
        }
      assert.equal(changed, N);
    } finally {
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
