import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PanelSpec } from '../../core/app.ts';
import type { StreamRecord } from '../../core/record.ts';
import type { TickSpeedData } from './options.ts';
import { TickSpeed, tickSpeedType } from './server.ts';

const rec = (topic: string, tick: number): StreamRecord => ({
  topic,
  partition: 0,
  offset: 0,
  key: null,
  value: { tick },
  timestamp: 0,
  headers: {},
});

test('tick-speed: ticks per second over the window on a clock, and the lag behind the input', () => {
  const spec: PanelSpec = { id: 's', title: 'S', type: 'tick-speed', topic: 'out', fields: {}, options: {} };
  let now = 1_000_000;
  const options = tickSpeedType.options.parse({ source: 'in', windowMs: 5000, skip: 'end' });
  const agg = new TickSpeed(spec, options, () => now);
  assert.deepEqual(agg.topics, ['out', 'in']);
  const rate = 4; // ticks a second, a batch every 250 ms
  for (let t = 0; t < 40; t++) {
    agg.add([rec('in', t + 3), rec('out', t)]);
    now += 1000 / rate;
  }
  // An end marker a tick past the last is no tick.
  agg.add([{ ...rec('in', 43), value: { tick: 43, end: true } }]);
  const d = (agg.flush() as unknown as { data: TickSpeedData }).data;
  assert.equal(d.tick, 39);
  assert.equal(d.lag, 3);
  // The window's first sample is 5 s back (or less): the ticks gained over the time since.
  assert.ok(Math.abs(d.rate! - rate) < 0.3, String(d.rate));
  now += 20_000; // stalled: the rate falls as time passes
  assert.ok(((agg.flush() as unknown as { data: TickSpeedData }).data.rate ?? 0) < 1);
});
