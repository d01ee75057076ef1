import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Yielder } from './cooperative.ts';

/** Work that only ever awaits settled promises, as a source and the local broker do at `--rate 0`. */
async function busy(stop: AbortSignal, yielder: Yielder | undefined, maxRounds: number): Promise<number> {
  let rounds = 0;
  while (!stop.aborted && rounds < maxRounds) {
    await yielder?.turn();
    const until = performance.now() + 0.2;
    while (performance.now() < until) {}
    await Promise.resolve();
    rounds++;
  }
  return rounds;
}

test('a loop that awaits turn() lets a timer stop it; one that does not never sees the timer', async () => {
  const starved = new AbortController();
  setTimeout(() => starved.abort(), 0);
  // The reference: without yielding, the timer cannot fire before the loop gives up on its own.
  assert.equal(await busy(starved.signal, undefined, 100), 100);

  const stop = new AbortController();
  setTimeout(() => stop.abort(), 0);
  const rounds = await busy(stop.signal, new Yielder(5), 10_000);
  assert.ok(rounds < 10_000, `ran all ${rounds} rounds: the timer never ran`);
});

test('within its slice turn() costs no event-loop turn', () => {
  const y = new Yielder(60_000);
  assert.equal(y.turn(), undefined);
});
