import assert from 'node:assert/strict';
import { mock, type TestContext, test } from 'node:test';
import fc from 'fast-check';
import type { ComponentStatus } from '../core/status.ts';
import { committedOf, duration, Progress, retryingText } from './progress.ts';

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

test('progress counts the slowest sink of a produced topic, not a derived topic with a record per flush (property)', () => {
  const of = (component: ComponentStatus['component'], name: string, topics: string[], records: number) => ({
    ...status(name, 'ok'),
    component,
    topics,
    records,
  });
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom('buzz', 'buzz.stats', 'smoker'), fc.nat(1_000_000)), { maxLength: 6 }),
      fc.subarray(['buzz', 'smoker']),
      fc.nat(1_000_000),
      (sinks, sourceTopics, produced) => {
        const statuses = [
          ...sourceTopics.map((t) => of('source', `gen-${t}`, [t], produced)),
          ...sinks.map(([t, n], i) => of('sink', `sink${i}`, [t], n)),
        ];
        // Brute force: sinks reading a topic a source writes; else every sink; else what was produced.
        const own = sinks.filter(([t]) => sourceTopics.includes(t)).map(([, n]) => n);
        const all = sinks.map(([, n]) => n);
        const want = own.length ? Math.min(...own) : all.length ? Math.min(...all) : produced * sourceTopics.length;
        assert.equal(committedOf(statuses), want);
      },
    ),
  );
});

test('the time left goes by the recent pace, not a slow start: a run at 100/s after a 2 s start says about what is left', (t) => {
  const lines = linesOnMockClock(t);
  const total = 3000;
  const p = new Progress({ total, lineSeconds: 0 });
  const sink = (records: number): ComponentStatus[] => [{ ...status('jsonl-buzz', 'ok'), records }];
  // Start-up: 4 records in the first 2 s, then 100 a second.
  const committedAt = (ms: number) => (ms <= 2000 ? Math.round((ms / 2000) * 4) : 4 + ((ms - 2000) / 1000) * 100);
  const said: Array<{ at: number; left: number | undefined }> = [];
  for (let ms = 250; ms <= 12_000; ms += 250) {
    mock.timers.tick(250);
    p.update(sink(committedAt(ms)));
    const m = / about (?:(\d+)m)?(\d+)s left/.exec(lines.at(-1) ?? '');
    said.push({ at: ms, left: m ? Number(m[1] ?? 0) * 60 + Number(m[2]) : undefined });
  }
  for (const s of said.filter((x) => x.at >= 7500)) {
    const truth = (total - committedAt(s.at)) / 100;
    assert.ok(
      s.left !== undefined && Math.abs(s.left - truth) <= 0.15 * truth + 1,
      `at ${s.at} ms: said ${s.left} s, truly ${truth} s`,
    );
  }
  // Never the whole-run average's wild guess while the pace is being measured.
  for (const s of said) if (s.left !== undefined) assert.ok(s.left < 600, `at ${s.at} ms: ${s.left} s`);
});

test('plain lines: the same counts again are said once a minute, not at every line time (an idle consume)', (t) => {
  const lines = linesOnMockClock(t);
  const p = new Progress({ lineSeconds: 5 });
  const sink = (records: number): ComponentStatus[] => [{ ...status('jsonl-buzz', 'ok'), records }];
  // 10 s of work, then 3 minutes idle: a line a second asked for throughout.
  for (let s = 1; s <= 190; s++) {
    mock.timers.tick(1000);
    p.update(sink(Math.min(s, 10) * 100));
  }
  const said = lines.map((l) => Number(/sinks: jsonl-buzz (\d+)/.exec(l)?.[1]));
  // While counts change, every 5 s (at 5 and 10 s); once idle, the unchanged line at 70, 130 and 190 s.
  assert.deepEqual(said, [500, 1000, 1000, 1000, 1000]);
});

test('nothing counted yet, nothing said: no bare "progress: " before a refusal', (t) => {
  const lines = linesOnMockClock(t);
  const p = new Progress({ lineSeconds: 1 });
  mock.timers.tick(2000);
  p.update([]);
  mock.timers.tick(2000);
  p.update([{ ...status('jsonl-buzz', 'ok'), records: 3 }]);
  assert.equal(lines.length, 1, lines.join(''));
  assert.match(lines[0]!, /^progress: sinks: jsonl-buzz 3\b/);
});

/** The clock mocked from 0 and what is written to stderr, kept, for the length of test `t`. */
function linesOnMockClock(t: TestContext): string[] {
  mock.timers.enable({ apis: ['Date'], now: 0 });
  t.after(() => mock.timers.reset());
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  t.after(() => {
    process.stderr.write = write;
  });
  return lines;
}
