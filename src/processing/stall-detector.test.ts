import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProcessorContext } from '../core/connector.ts';
import { silentLogger } from '../core/log.ts';
import type { OutgoingRecord, StreamRecord } from '../core/record.ts';
import { lessOrClose } from './rolling-window.ts';
import { type StallAlert, StallDetector } from './stall-detector.ts';

/** Readings a minute apart, from minute `start` (event time only moves forward within one cook). */
function feed(d: StallDetector, temps: number[], start = 0): StallAlert[] {
  const out: OutgoingRecord[] = [];
  const ctx: ProcessorContext = { emit: (_t, r) => out.push(r), log: silentLogger };
  temps.forEach((temperature, j) => {
    const i = start + j;
    const rec: StreamRecord = {
      topic: 'smoker',
      partition: 0,
      offset: i,
      key: null,
      value: { timestamp: `t${i}`, temperature },
      timestamp: i * 60_000,
      headers: {},
    };
    d.process(rec, ctx);
  });
  return out.map((r) => r.value as StallAlert);
}

test('float noise does not hide a stall: 142.2-142.0 and 100.2-100.0 both count as within 0.2', () => {
  assert.ok(lessOrClose(142.2 - 142.0, 0.2));
  assert.ok(lessOrClose(100.2 - 100.0, 0.2));
  assert.ok(!lessOrClose(100.3 - 100.0, 0.2));
  const d = new StallDetector({ input: 'smoker', output: 'alerts', window: 4, threshold: 0.2 });
  const alerts = feed(d, [99, 99.5, 100.0, 100.2, 100.0, 100.2, 100.0, 101]);
  assert.deepEqual(
    alerts.map((a) => [a.type, a.timestamp]),
    [
      ['stall_started', 't5'],
      ['stall_ended', 't7'],
    ],
  );
});

test('no alert until the window is full', () => {
  const d = new StallDetector({ input: 's', output: 'a', window: 5, threshold: 0.2 });
  assert.deepEqual(feed(d, [100, 100, 100, 100]), []);
});

test('state snapshot/restore continues the same window', () => {
  const a = new StallDetector({ input: 's', output: 'a', window: 3, threshold: 0.2 });
  feed(a, [100, 100.1]);
  const b = new StallDetector({ input: 's', output: 'a', window: 3, threshold: 0.2 });
  b.restore(JSON.parse(JSON.stringify(a.snapshot())));
  assert.equal(feed(b, [100.2], 2)[0]?.type, 'stall_started');
});

test('a reading without a numeric temperature is rejected with the field named', () => {
  const d = new StallDetector({ input: 's', output: 'a', window: 3, threshold: 0.2 });
  const ctx: ProcessorContext = { emit: () => {}, log: silentLogger };
  assert.throws(
    () =>
      d.process(
        { topic: 's', partition: 0, offset: 0, key: null, value: { temperature: 'hot' }, timestamp: 0, headers: {} },
        ctx,
      ),
    /temperature/,
  );
});

test('a replay that starts over ends an open stall at the old series end and starts a fresh window', () => {
  const out: OutgoingRecord[] = [];
  const ctx: ProcessorContext = { emit: (_t, r) => out.push(r), log: silentLogger };
  const d = new StallDetector({ input: 'smoker', output: 'alerts', window: 3, threshold: 0.2 });
  const cook = [70, 100, 160, 160.1, 160]; // stalls at the 5th reading
  let offset = 0;
  for (const run of [cook, cook]) {
    run.forEach((temperature, i) => {
      d.process(
        {
          topic: 'smoker',
          partition: 0,
          offset: offset++,
          key: null,
          value: { timestamp: `t${i}`, temperature },
          timestamp: i * 60_000,
          headers: {},
        },
        ctx,
      );
    });
  }
  const alerts = out.map((r) => r.value as StallAlert);
  assert.deepEqual(
    alerts.map((a) => [a.type, a.timestamp, a.reason ?? '']),
    [
      ['stall_started', 't4', ''],
      ['stall_ended', 't4', 'replay restarted'],
      // The second cook stalls where the first did: its window did not start with the old readings.
      ['stall_started', 't4', ''],
    ],
  );
});

/** One cook's readings as the CSV replay sends them, and as `consume` reads them from another client's topic. */
function cook(temps: number[], recordTime: (eventMs: number, i: number) => number): StreamRecord[] {
  const start = Date.UTC(2025, 0, 1, 15, 0, 0);
  return temps.map((temperature, i) => {
    const at = start + i * 60_000;
    const timestamp = new Date(at).toISOString().replace('T', ' ').slice(0, 19);
    const value = { timestamp, temperature };
    return { topic: 'smoker', partition: 0, offset: i, key: null, value, timestamp: recordTime(at, i), headers: {} };
  });
}

function alertsOf(records: StreamRecord[]): OutgoingRecord[] {
  const out: OutgoingRecord[] = [];
  const ctx: ProcessorContext = { emit: (_t, r) => out.push(r), log: silentLogger };
  const d = new StallDetector({ input: 'smoker', output: 'alerts', window: 3, threshold: 0.2 });
  for (const r of records) d.process(r, ctx);
  return out;
}

test("an alert's time is the reading's own timestamp, whether the record carries event time or write time", () => {
  const temps = [150, 155, 160, 160.1, 160, 161];
  const written = Date.UTC(2026, 10, 24, 13, 0, 0);
  const csv = alertsOf(cook(temps, (eventMs) => eventMs));
  const consumed = alertsOf(cook(temps, (_eventMs, i) => written + i * 5)); // written 5 ms apart, much later
  const at = (s: string) => Date.parse(`${s.replace(' ', 'T')}Z`);
  const view = (out: OutgoingRecord[]) =>
    out.map((r) => {
      const a = r.value as StallAlert;
      return [a.type, a.timestamp, a.at, r.timestamp];
    });
  assert.deepEqual(view(csv), [
    ['stall_started', '2025-01-01 15:04:00', at('2025-01-01 15:04:00'), at('2025-01-01 15:04:00')],
    ['stall_ended', '2025-01-01 15:05:00', at('2025-01-01 15:05:00'), at('2025-01-01 15:05:00')],
  ]);
  assert.deepEqual(view(consumed), view(csv));
});

test('a replay starting over is seen by its readings going back in time, though written later', () => {
  const temps = [70, 100, 160, 160.1, 160];
  const written = Date.UTC(2026, 10, 24, 13, 0, 0);
  const twice = [...cook(temps, () => 0), ...cook(temps, () => 0)].map((r, i) => ({
    ...r,
    offset: i,
    timestamp: written + i,
  }));
  assert.deepEqual(
    alertsOf(twice).map((r) => [(r.value as StallAlert).type, (r.value as StallAlert).reason ?? '']),
    [
      ['stall_started', ''],
      ['stall_ended', 'replay restarted'],
      ['stall_started', ''],
    ],
  );
});
