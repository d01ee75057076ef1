import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Source } from '../../core/connector.ts';
import { silentLogger } from '../../core/log.ts';
import { ReplayControl } from '../../core/replay-control.ts';
import { CsvSource } from './csv/csv.ts';
import { JsonSource } from './json/json.ts';
import { jsonSchema } from './json/spec.ts';
import { Pacer } from './pacing.ts';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `waitFor` and reports when it settled (ms since the call), or undefined while still waiting. */
function track(pacer: Pacer, due: number, signal = new AbortController().signal) {
  const t0 = performance.now();
  let at: number | undefined;
  const done = pacer.waitFor(due, signal).then(() => {
    at = performance.now() - t0;
  });
  return { done, settled: () => at };
}

describe('replay clock', () => {
  test('advances at speed, stands still while paused, keeps its place across changes', () => {
    let now = 1000;
    const c = new ReplayControl({ speed: 2 }, () => now);
    now += 100;
    assert.equal(c.position(), 200);
    c.pause();
    now += 5000;
    assert.equal(c.position(), 200, 'a paused replay does not advance');
    c.resume();
    now += 50;
    assert.equal(c.position(), 300);
    c.setSpeed(60);
    now += 10;
    assert.equal(c.position(), 300 + 600, 'the new speed applies from the moment it is set, not back to the start');
    c.setSpeed(0);
    c.setSpeed(Number.NaN);
    assert.equal(c.speed, 60, 'an unusable speed is ignored');
  });
});

describe('Pacer on a control', () => {
  test('pause holds a wait; resume continues where it stopped, without a burst', async () => {
    const c = new ReplayControl({ speed: 1 });
    const w = track(new Pacer(c), 300);
    await wait(100);
    c.pause();
    await wait(600);
    assert.equal(w.settled(), undefined, 'still waiting while paused, although its time has passed');
    const resumed = performance.now();
    c.resume();
    await w.done;
    const after = performance.now() - resumed;
    // 200 ms of schedule were left at the pause: it ends about 200 ms after resume, not at once.
    assert.ok(after >= 150, `went out ${after.toFixed(0)} ms after resume: it skipped the rest of its wait`);
    assert.ok(after < 600, `went out ${after.toFixed(0)} ms after resume`);
  });

  test('a speed change applies in the middle of a long wait', async () => {
    const c = new ReplayControl({ speed: 1 });
    const w = track(new Pacer(c), 10_000);
    await wait(100);
    c.setSpeed(100);
    await w.done;
    // At ×1 it would wait 10 s; at ×100 the 9.9 s left take ~99 ms.
    assert.ok(w.settled()! < 1500, `took ${w.settled()!.toFixed(0)} ms`);
    assert.ok(w.settled()! >= 150, `took ${w.settled()!.toFixed(0)} ms: faster than the schedule allows`);
  });

  test('the stop signal ends a paused wait at once (Ctrl-C while paused)', async () => {
    const c = new ReplayControl({ speed: 1 });
    c.pause();
    const stop = new AbortController();
    const w = track(new Pacer(c), 50, stop.signal);
    await wait(100);
    assert.equal(w.settled(), undefined);
    stop.abort();
    await w.done;
    assert.ok(w.settled()! < 300);
  });
});

/** Twelve rows a second apart in event time, replayed at ×20 (one every 50 ms) under a control. */
const ROWS = Array.from({ length: 12 }, (_, i) => ({
  ts: new Date(Date.UTC(2025, 0, 1, 12, 0, i)).toISOString(),
  v: i,
}));

/** Pauses the replay after three rows, checks nothing is read while paused, then lets it finish. */
async function pauseAndResume(source: Source): Promise<void> {
  assert.deepEqual(source.pacing?.(), { by: 'event-time', speed: 20 });
  const control = new ReplayControl({ speed: 20 });
  const stop = new AbortController();
  const seen: number[] = [];
  const reading = (async () => {
    for await (const batch of source.read({ signal: stop.signal, log: silentLogger, control })) {
      for (const item of batch) if (item.kind === 'record') seen.push((item.record.value as { v: number }).v);
    }
  })();
  while (seen.length < 3) await wait(5);
  control.pause();
  const atPause = seen.length;
  await wait(700);
  // A row already past its wait when the pause came may still go out; nothing after it.
  assert.ok(seen.length <= atPause + 1, `read ${seen.length - atPause} rows while paused`);
  const held = seen.length;
  await wait(300);
  assert.equal(seen.length, held, 'rows read while paused');
  control.resume();
  control.setSpeed(1000);
  await reading;
  assert.deepEqual(
    seen,
    ROWS.map((r) => r.v),
    'every row once, in order',
  );
  stop.abort();
}

describe('replaying sources under control', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-pacing-'));

  test('csv: nothing is read while paused; after resume the next row follows, none skipped or repeated', async () => {
    const path = join(dir, 'in.csv');
    writeFileSync(path, `timestamp,v\n${ROWS.map((r) => `${r.ts},${r.v}`).join('\n')}\n`);
    await pauseAndResume(new CsvSource({ path, timestampColumn: 'timestamp', speed: 20, loop: false }));
  });

  test('json: the same, for a JSONL file replayed by event time', async () => {
    const path = join(dir, 'in.jsonl');
    writeFileSync(path, ROWS.map((r) => JSON.stringify(r)).join('\n'));
    await pauseAndResume(new JsonSource(jsonSchema.parse({ path, timestampField: 'ts', speed: 20 })));
  });

  test('a looped csv keeps its pace on the second pass instead of bursting', async () => {
    const path = join(dir, 'loop.csv');
    writeFileSync(
      path,
      `timestamp,v\n${ROWS.slice(0, 4)
        .map((r) => `${r.ts},${r.v}`)
        .join('\n')}\n`,
    );
    const source = new CsvSource({ path, timestampColumn: 'timestamp', speed: 20, loop: true });
    const stop = new AbortController();
    const times: number[] = [];
    for await (const batch of source.read({ signal: stop.signal, log: silentLogger })) {
      for (const item of batch) if (item.kind === 'record') times.push(performance.now());
      if (times.length >= 8) stop.abort();
    }
    // Rows 5-8 are the second pass: 50 ms apart like the first, not all at once.
    const gaps = times.slice(5, 8).map((t, i) => t - times[4 + i]!);
    for (const g of gaps) assert.ok(g >= 35, `second pass rows ${gaps.map((x) => x.toFixed(0)).join(', ')} ms apart`);
  });
});
