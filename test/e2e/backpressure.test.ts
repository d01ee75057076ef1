/**
 * Back-pressure in one process (see backlogGate): a source at full speed waits for a sink that works, so
 * the topic's backlog stays bounded (and the local broker's decoded batches serve the sink); a sink that
 * retries holds nothing back, so its input waits on the topic and the source finishes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import type { PipelineSpec } from '../../src/core/app.ts';
import type { Sink, Source, SourceItem } from '../../src/core/connector.ts';
import { ErrorCodes, RunnelError } from '../../src/core/errors.ts';
import { silentLogger } from '../../src/core/log.ts';
import { runPipeline } from '../../src/core/pipeline.ts';
import type { StreamRecord } from '../../src/core/record.ts';
import { BACKLOG_RECORDS } from '../../src/core/runners/backlog.ts';

const BATCH = 500;

/** `n` records as fast as the runtime takes them, in batches of BATCH. */
function fastSource(n: number): Source {
  return {
    name: 'fast',
    async *read() {
      for (let i = 0; i < n; i += BATCH) {
        const items: SourceItem[] = [];
        for (let j = i; j < Math.min(n, i + BATCH); j++) items.push({ kind: 'record', record: { value: { i: j } } });
        yield items;
      }
    },
  };
}

async function withBroker(fn: (b: LocalBroker) => Promise<void>): Promise<void> {
  const b = new LocalBroker(`local:${join(mkdtempSync(join(tmpdir(), 'runnel-backpressure-')), 'broker.db')}`);
  await b.connect();
  try {
    await fn(b);
  } finally {
    await b.close();
  }
}

/** A sink that hands each batch to `write` and keeps nothing itself. */
const memorySink = (name: string, write: (records: StreamRecord[]) => Promise<void>): Sink => ({
  name,
  target: 'memory',
  open: async () => {},
  close: async () => {},
  write: async (records) => {
    await write(records);
    return {};
  },
});

const spec = (source: Source, sink: Sink): PipelineSpec => ({
  app: 'bp',
  topics: { in: { partitions: 2 } },
  sources: [{ source, topic: 'in' }],
  processors: [],
  sinks: [{ sink, topic: 'in' }],
});

const endOf = async (b: LocalBroker) =>
  ((await b.describeTopic('in'))?.partitions ?? []).reduce((n, p) => n + p.endOffset, 0);

test('a source at full speed stays within the backlog of a slow sink that works', async () => {
  await withBroker(async (b) => {
    const N = BACKLOG_RECORDS * 4;
    let written = 0;
    let widest = 0;
    const sink = memorySink('slow', async (records) => {
      // What the source has put on the topic beyond what this sink holds, as it takes each batch.
      widest = Math.max(widest, (await endOf(b)) - written);
      await new Promise((r) => setTimeout(r, 15));
      written += records.length;
    });
    await runPipeline({ broker: b, spec: spec(fastSource(N), sink), log: silentLogger }).done;
    assert.equal(written, N);
    // The gate looks every few ms: the source may be a look's worth of batches past the bound, not more.
    // On a loaded machine a look that was slow (the process preempted) puts the gate in its slow-broker
    // way for a while (looking beside the source, less often): 27k here, with the whole suite running.
    // Without the gate the source ran the whole input ahead of the sink.
    assert.ok(widest <= BACKLOG_RECORDS + 20 * BATCH, `backlog reached ${widest} records`);
    assert.ok(widest < N / 2, `backlog reached ${widest} of ${N} records`);
  });
});

test('a sink that retries holds no source back: its input waits on the topic', async () => {
  await withBroker(async (b) => {
    const N = BACKLOG_RECORDS * 3;
    let written = 0;
    let sourceDoneFirst = false;
    const sink = memorySink('down', async (records) => {
      // Down until the source has put everything on the topic.
      if ((await endOf(b)) < N) {
        throw new RunnelError(ErrorCodes.SINK_WRITE_FAILED, 'down for now', { retriable: true });
      }
      sourceDoneFirst = true;
      written += records.length;
    });
    await runPipeline({ broker: b, spec: spec(fastSource(N), sink), log: silentLogger, stopGraceMs: 60_000 }).done;
    assert.equal(sourceDoneFirst, true);
    assert.equal(written, N);
  });
});
