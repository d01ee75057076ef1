import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ComponentStatus } from '../core/status.ts';
import { duration, retryingText } from './progress.ts';

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

test('durations read as a person says them, to the second below an hour', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [42.4, '42s'],
    [59.6, '1m00s'],
    [200, '3m20s'],
    [3599, '59m59s'],
    [3600, '1h00m'],
    [3900, '1h05m'],
    [90_000, '25h00m'],
  ];
  for (const [seconds, want] of cases) assert.equal(duration(seconds), want, String(seconds));
  // Every duration below an hour reads back as the seconds it was made from.
  for (let s = 0; s < 3600; s += 7) {
    const m = /^(?:(\d+)m)?(\d+)s$/.exec(duration(s))!;
    assert.equal(Number(m[1] ?? 0) * 60 + Number(m[2]), s);
  }
});
