import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TestDriver, type TestInput } from '../../testing/index.ts';
import { smokerApp } from './index.ts';
import type { StallAlert } from './stall.ts';

/** The smoker app's real stall step, in-process, with the seeds' settings (window, threshold) from `env`. */
function driver(window: number, threshold = 0.2): TestDriver {
  const env = { SMOKER_ROLLING_WINDOW_SIZE: String(window), SMOKER_STALL_THRESHOLD_F: String(threshold) };
  const spec = smokerApp.build({ dataDir: mkdtempSync(join(tmpdir(), 'runnel-smoker-')), sinks: [], env });
  if (spec instanceof Promise) throw new Error('smoker builds synchronously');
  return new TestDriver(spec.processors);
}

const START = Date.UTC(2025, 0, 1, 15, 0, 0);
const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** One cook's readings a minute apart from minute `from`, as the CSV replay writes them (record time = event time). */
function cook(temps: number[], from = 0, recordTime?: (eventMs: number, i: number) => number): TestInput[] {
  return temps.map((temperature, j) => {
    const at = START + (from + j) * 60_000;
    return { value: { timestamp: stamp(at), temperature }, timestamp: recordTime ? recordTime(at, j) : at };
  });
}

const alertsOf = (d: TestDriver) => d.values<StallAlert>('smoker.alerts');
const minute = (m: number) => stamp(START + m * 60_000);

test('float noise does not hide a stall: 142.2-142.0 and 100.2-100.0 both count as within 0.2', () => {
  const d = driver(4).pipe('smoker', cook([99, 99.5, 100.0, 100.2, 100.0, 100.2, 100.0, 101]));
  assert.deepEqual(
    alertsOf(d).map((a) => [a.type, a.timestamp]),
    [
      ['stall_started', minute(5)],
      ['stall_ended', minute(7)],
    ],
  );
  const [started, ended] = alertsOf(d);
  assert.deepEqual(started, {
    type: 'stall_started',
    timestamp: minute(5),
    at: START + 5 * 60_000,
    temperature: 100.2,
    min: 100,
    max: 100.2,
    window: 4,
    threshold: 0.2,
    reading: { partition: 0, offset: 5 },
  });
  assert.deepEqual([ended!.min, ended!.max, ended!.reading], [100, 101, { partition: 0, offset: 7 }]);
  assert.deepEqual(
    driver(3)
      .pipe('smoker', cook([142.0, 142.2, 142.1]))
      .values('smoker.alerts').length,
    1,
  );
});

test('no alert until the window is full', () => {
  assert.deepEqual(alertsOf(driver(5).pipe('smoker', cook([100, 100, 100, 100]))), []);
});

test('the window is kept in the store: a restart continues the same window', () => {
  const d = driver(3).pipe('smoker', cook([100, 100.1]));
  d.restart();
  d.pipe('smoker', cook([100.2], 2));
  assert.deepEqual(
    alertsOf(d).map((a) => [a.type, a.timestamp]),
    [['stall_started', minute(2)]],
  );
});

test('a reading without a numeric temperature goes to the dead-letter topic with the field named', () => {
  const d = driver(3).pipe('smoker', [{ value: { timestamp: minute(0), temperature: 'hot' }, timestamp: START }]);
  const dead = d.values('smoker.dlq');
  assert.equal(dead.length, 1);
  assert.match(JSON.stringify(dead[0]), /temperature/);
  assert.deepEqual(alertsOf(d), []);
});

test('a replay that starts over ends an open stall at the old series end and starts a fresh window', () => {
  const d = driver(3);
  const temps = [70, 100, 160, 160.1, 160]; // stalls at the 5th reading
  d.pipe('smoker', cook(temps));
  d.pipe('smoker', cook(temps));
  assert.deepEqual(
    alertsOf(d).map((a) => [a.type, a.timestamp, a.reason ?? '', a.reading.offset]),
    [
      ['stall_started', minute(4), '', 4],
      ['stall_ended', minute(4), 'replay restarted', 4],
      // The second cook stalls where the first did: its window did not start with the old readings.
      ['stall_started', minute(4), '', 9],
    ],
  );
  const ended = alertsOf(d)[1]!;
  assert.deepEqual([ended.min, ended.max, ended.temperature], [160, 160.1, 160]);
});

test("an alert's time is the reading's own timestamp, whether the record carries event time or write time", () => {
  const temps = [150, 155, 160, 160.1, 160, 161];
  const written = Date.UTC(2026, 10, 24, 13, 0, 0);
  const view = (d: TestDriver) =>
    d.outputs<StallAlert>('smoker.alerts').map((r) => [r.value.type, r.value.timestamp, r.value.at, r.timestamp]);
  const csv = view(driver(3).pipe('smoker', cook(temps)));
  const consumed = view(
    driver(3).pipe(
      'smoker',
      cook(temps, 0, (_at, i) => written + i * 5),
    ),
  );
  const at = (s: string) => Date.parse(`${s.replace(' ', 'T')}Z`);
  assert.deepEqual(csv, [
    ['stall_started', '2025-01-01 15:04:00', at('2025-01-01 15:04:00'), at('2025-01-01 15:04:00')],
    ['stall_ended', '2025-01-01 15:05:00', at('2025-01-01 15:05:00'), at('2025-01-01 15:05:00')],
  ]);
  assert.deepEqual(consumed, csv);
});

test('a replay starting over is seen by its readings going back in time, though written later', () => {
  const temps = [70, 100, 160, 160.1, 160];
  const written = Date.UTC(2026, 10, 24, 13, 0, 0);
  const d = driver(3);
  d.pipe(
    'smoker',
    cook(temps, 0, (_at, i) => written + i),
  );
  d.pipe(
    'smoker',
    cook(temps, 0, (_at, i) => written + 10 + i),
  );
  assert.deepEqual(
    alertsOf(d).map((a) => [a.type, a.reason ?? '']),
    [
      ['stall_started', ''],
      ['stall_ended', 'replay restarted'],
      ['stall_started', ''],
    ],
  );
});

test('smoker_temps.csv through the app: exactly one stall episode, starting at 18:08', () => {
  const csv = readFileSync(new URL('../../../test/fixtures/seed-data/smoker_temps.csv', import.meta.url), 'utf8');
  const rows = csv
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  const d = driver(10);
  // In batches of 7, as a consumer might poll them: the episode does not depend on the batching.
  for (let i = 0; i < rows.length; i += 7) {
    d.pipe(
      'smoker',
      rows.slice(i, i + 7).map(([timestamp, t]) => ({ value: { timestamp, temperature: Number(t) } })),
    );
  }
  assert.deepEqual(
    alertsOf(d).map((a) => [a.type, a.timestamp]),
    [['stall_started', '2025-01-01 18:08:00']],
  );
});
