import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ComponentStatus } from '../core/status.ts';
import { retryingText } from './progress.ts';

const status = (name: string, state: ComponentStatus['state'], lastError?: string): ComponentStatus => ({
  app: 'buzz',
  pipeline: 'p',
  pid: 1,
  component: 'sink',
  name,
  topics: ['buzz'],
  state,
  records: 0,
  dlq: 0,
  ts: 0,
  ...(lastError === undefined ? {} : { lastError }),
});

test('components retrying on the same error share one mention in the progress line', () => {
  const down = 'RUNNEL_BROKER_UNAVAILABLE: consume buzz: Kafka at 127.0.0.1:9092 is not reachable';
  assert.deepEqual(
    retryingText([
      status('jsonl-buzz', 'retrying', down),
      status('sqlite-buzz', 'retrying', down),
      status('duckdb-buzz', 'ok'),
      status('buzz-stats', 'retrying', 'RUNNEL_SINK_WRITE_FAILED: disk full'),
      status('kafka-buzz', 'retrying', down),
    ]),
    [
      `jsonl-buzz, sqlite-buzz, kafka-buzz retrying: ${down}`,
      'buzz-stats retrying: RUNNEL_SINK_WRITE_FAILED: disk full',
    ],
  );
});
