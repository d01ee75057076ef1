import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import '../connectors/sinks/index.ts';
import { SINK_KINDS, type SinkKind } from '../core/app.ts';
import { ErrorCodes } from '../core/errors.ts';
import { type AppSink, defineApp } from './define-app.ts';

const options = { dataDir: tmpdir(), sinks: [...SINK_KINDS] as SinkKind[], env: {} };
const app = (kinds: string[]) =>
  defineApp({
    name: 'kinds',
    pipeline(t) {
      t.stream('in').to('out');
    },
    // A plain .js app, or one behind a cast, gets past the type: the build must still refuse it.
    sinks: [{ topic: 'out', kinds } as AppSink],
  });

test("a sink's kinds are runnel's: each known one attaches, a misspelt one is refused with the one meant", async () => {
  for (const kind of SINK_KINDS) {
    const spec = await app([kind]).build(options);
    assert.deepEqual(
      spec.sinks.map((s) => s.sink.name),
      [`${kind}-out`],
      kind,
    );
  }
  await assert.rejects(
    async () => app(['sqllite', 'jsonl']).build(options),
    (e: Error & { code?: string }) =>
      e.code === ErrorCodes.CONFIG_INVALID &&
      e.message ===
        `kinds: sink of out: kinds: unknown sink kind "sqllite" (did you mean sqlite?); the kinds: ${SINK_KINDS.join(', ')}`,
  );
  // Attached only where --sinks names them: kinds narrow the run's sinks, they add none.
  const narrowed = await app(['sqlite', 'kafka']).build({ ...options, sinks: ['jsonl', 'sqlite'] });
  assert.deepEqual(
    narrowed.sinks.map((s) => s.sink.name),
    ['sqlite-out'],
  );
});
