import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WatermarkTracker } from './watermark.ts';

/** Brute force: min over non-idle inputs of (max event time seen − bound), never going back. */
function reference(
  events: Array<{ input: string; t: number; now: number }>,
  bound: number,
  idleMs: number,
  inputs: string[],
): number[] {
  const max = new Map<string, number>(inputs.map((i) => [i, Number.NEGATIVE_INFINITY]));
  const last = new Map<string, number>(inputs.map((i) => [i, 0]));
  const fresh = new Map<string, number>(inputs.map((i) => [i, Number.NEGATIVE_INFINITY]));
  let wm = Number.NEGATIVE_INFINITY;
  let lastAny = 0;
  const out: number[] = [];
  for (const e of events) {
    // Every input silent for the idle timeout: the silence was everyone's, and each input active when it
    // began starts afresh (a fresh timeout is no delivery: one already idle stays idle).
    if (e.now - lastAny >= idleMs) for (const i of inputs) if (lastAny - last.get(i)! < idleMs) fresh.set(i, e.now);
    lastAny = e.now;
    max.set(e.input, Math.max(max.get(e.input)!, e.t));
    last.set(e.input, e.now);
    const active = inputs.filter((i) => e.now - Math.max(last.get(i)!, fresh.get(i)!) < idleMs);
    if (active.length > 0) wm = Math.max(wm, Math.min(...active.map((i) => max.get(i)!)) - bound);
    out.push(wm);
  }
  return out;
}

/** Inputs a and b, idle after 1 s, declared at 0 ms. */
function twoInputs(): WatermarkTracker {
  const w = new WatermarkTracker({ idleTimeoutMs: 1000 });
  w.expect('a', 0);
  w.expect('b', 0);
  return w;
}

/** twoInputs that delivered 100 and 50 by 20 ms: the watermark at 50. */
function twoInputsAt50(): WatermarkTracker {
  const w = twoInputs();
  w.observe('a', 100, 10);
  w.observe('b', 50, 20);
  return w;
}

describe('watermarks', () => {
  it('equal the brute-force min over active inputs, for random event orders and idle gaps', () => {
    let s = 7;
    const rand = () => {
      s = (s * 1103515245 + 12345) >>> 0;
      return s / 2 ** 32;
    };
    for (let run = 0; run < 50; run++) {
      const inputs = ['a/0', 'a/1', 'b/0'].slice(0, 1 + Math.floor(rand() * 3));
      const bound = Math.floor(rand() * 100);
      const idle = 200 + Math.floor(rand() * 800);
      const w = new WatermarkTracker({ maxOutOfOrderMs: bound, idleTimeoutMs: idle });
      for (const i of inputs) w.expect(i, 0);
      let now = 0;
      const events = Array.from({ length: 200 }, (_, k) => {
        // Now and then a silence of every input longer than the idle timeout (a pause, a stalled worker).
        now += rand() < 0.02 ? idle + Math.floor(rand() * idle) : Math.floor(rand() * 60);
        return {
          input: inputs[Math.floor(rand() * inputs.length)]!,
          t: k * 10 + Math.floor((rand() - 0.5) * 150),
          now,
        };
      });
      const got = events.map((e) => {
        w.observe(e.input, e.t, e.now);
        return w.current;
      });
      assert.deepEqual(got, reference(events, bound, idle, inputs));
    }
  });

  it('an input that never delivers holds the watermark until it is idle, then stops holding it', () => {
    const w = twoInputs();
    w.observe('a', 5000, 100);
    assert.equal(w.current, Number.NEGATIVE_INFINITY, 'b has said nothing yet');
    w.observe('a', 6000, 900);
    assert.equal(w.current, Number.NEGATIVE_INFINITY);
    assert.ok(w.tick(1000), 'b idle after 1 s of processing time');
    assert.equal(w.current, 6000);
    w.observe('b', 100, 1100);
    assert.equal(w.current, 6000, 'an idle input waking up behind never moves the watermark back');
  });

  it('after a silence of every input, the first to deliver again does not set the watermark alone', () => {
    const w = twoInputsAt50();
    assert.equal(w.current, 50);
    assert.equal(w.tick(5000), false, 'all idle: the watermark holds');
    w.observe('a', 9000, 5000);
    assert.equal(w.current, 50, 'b was silent only while everything was: it still holds the watermark');
    w.observe('b', 60, 5100);
    assert.equal(w.current, 60, "b's record is on time");
    w.observe('a', 9100, 5900);
    assert.ok(w.tick(6100), 'b silent for the timeout while a delivers: idle now');
    assert.equal(w.current, 9100);
  });

  it('an input that never delivers is not woken again and again by a source sparser than the idle timeout', () => {
    const w = twoInputs();
    // A record on a every 1.5 s, b never: b gets one fresh timeout after the first silence, and no more.
    w.observe('a', 100, 1500);
    assert.equal(w.current, Number.NEGATIVE_INFINITY, 'b was declared, then everything was silent: b holds');
    assert.equal(w.tick(2500), false, 'all idle: hold');
    w.observe('a', 200, 3000);
    assert.equal(w.current, 200, 'b said nothing through its fresh timeout: idle, and a moves the watermark');
    w.observe('a', 300, 4500);
    assert.equal(w.current, 300);
    // An input idle while another delivered stays idle through a silence of everything.
    w.observe('a', 400, 4600);
    w.observe('a', 500, 9000);
    assert.equal(w.current, 500);
  });

  it('an input declared after a silence of every input (an upstream count that changed) does not hide that silence', () => {
    const w = twoInputsAt50();
    w.expect('c', 5000, 10_000);
    w.observe('a', 9000, 5000);
    assert.equal(w.current, 50, 'b was silent only while everything was: it still holds the watermark');
  });

  it('survives a snapshot and restore through JSON', () => {
    const w = new WatermarkTracker({ maxOutOfOrderMs: 10 });
    w.expect('a', 0);
    w.observe('a', 500, 1);
    const copy = new WatermarkTracker({ maxOutOfOrderMs: 10 });
    copy.restore(JSON.parse(JSON.stringify(w.snapshot())), 2);
    assert.equal(copy.current, 490);
    copy.observe('a', 400, 3);
    assert.equal(copy.current, 490);
    copy.observe('a', 700, 4);
    assert.equal(copy.current, 690);
  });

  it('an ended input stays ended through a snapshot and restore, whether it ended here or upstream', () => {
    const here = new WatermarkTracker();
    here.observe('a', 500, 1);
    here.end();
    // Upstream's end arrives as a marker's largest watermark (see ProcessorTask's markers).
    const downstream = new WatermarkTracker({ maxOutOfOrderMs: 10 });
    downstream.observeWatermark('up<0', 500, 1);
    assert.equal(downstream.ended, false);
    downstream.observeWatermark('up<0', Number.MAX_SAFE_INTEGER, 2);
    for (const w of [here, downstream]) {
      assert.equal(w.ended, true);
      const copy = new WatermarkTracker({ maxOutOfOrderMs: 10 });
      copy.restore(JSON.parse(JSON.stringify(w.snapshot())), 3);
      assert.equal(copy.ended, true);
      assert.equal(copy.current, Number.POSITIVE_INFINITY);
      copy.observe('a', 10_000, 4);
      assert.equal(copy.current, Number.POSITIVE_INFINITY, 'records after the end do not bring it back');
    }
    // A snapshot from before `ended` existed restores as it always did.
    const old = new WatermarkTracker();
    old.restore({ current: 490, inputs: { a: 500 } }, 1);
    assert.equal(old.ended, false);
    assert.equal(old.current, 490);
  });

  it("one upstream's end is kept through a restart: it holds nothing back, and alone it ends nothing", () => {
    const w = new WatermarkTracker({ maxOutOfOrderMs: 10, idleTimeoutMs: 1000 });
    w.expect('up<0', 0);
    w.expect('up<1', 0);
    w.observeWatermark('up<0', Number.MAX_SAFE_INTEGER, 1);
    w.observeWatermark('up<1', 500, 1);
    assert.equal(w.current, 500);
    const copy = new WatermarkTracker({ maxOutOfOrderMs: 10, idleTimeoutMs: 1000 });
    copy.restore(JSON.parse(JSON.stringify(w.snapshot())), 2);
    copy.observeWatermark('up<1', 700, 3);
    assert.equal(copy.current, 700, 'the ended input does not hold it back after the restart');
    // The other one idle: the ended one does not move the watermark to the end by itself.
    assert.equal(copy.tick(5000), false);
    assert.equal(copy.ended, false);
    copy.observeWatermark('up<1', Number.MAX_SAFE_INTEGER, 6000);
    assert.equal(copy.ended, true, 'every input ended: the watermark is at the end');
  });
});
