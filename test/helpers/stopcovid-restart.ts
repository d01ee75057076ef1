/**
 * What a stopcovid restart must leave on its positions topic, on either broker: one simulation, everyone
 * moving at most a step a tick across the restart, and the very positions an uninterrupted run of the same
 * seed gives. A restart that drew another seed teleported 499 of 500 people between two ticks.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { type Position, type SimConfig, simulate } from '../../src/apps/stopcovid/sim.ts';
import type { Broker } from '../../src/core/broker.ts';

/** The most a person moves per axis in one tick (sim.ts). */
const STEP = 5;

/** Offsets a topic's partitions reached, summed: its records on the local broker; on Kafka commit markers take some. */
export async function held(broker: Broker, topic: string): Promise<number> {
  return ((await broker.describeTopic(topic))?.partitions ?? []).reduce((n, p) => n + p.endOffset, 0);
}

/** A refused run's one error line: exit 1, and nothing else said as an error. */
export function refusalLine(r: { code: number | null; stderr: string }): string {
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('runnel: '));
  assert.equal(lines.length, 1, r.stderr);
  return lines[0]!;
}

/** The seed a run without --seed drew, from the line it logs at its start. */
export function drawnSeed(stderr: string): number {
  const m = /seed (\d+) \(drawn: no --seed\)/.exec(stderr);
  assert.ok(m, `the first run says the seed it drew: ${stderr}`);
  return Number(m[1]);
}

/** A child's stderr, as it comes (read after it exited). */
export function stderrOf(child: ChildProcess): { text: string } {
  const out = { text: '' };
  child.stderr!.on('data', (d: Buffer) => {
    out.text += d.toString();
  });
  return out;
}

/**
 * The positions of ticks 0..ticks-1 on the topic: each person once a tick, never more than a step from
 * where they were the tick before, and equal to an uninterrupted simulation of `sim` with the seed `seedOf`
 * gives (the first run's, asked after the steps: a run that never said its seed still fails on its jumps).
 */
export function assertOneRun(
  values: unknown[],
  sim: Omit<SimConfig, 'seed'>,
  ticks: number,
  seedOf: () => number,
): void {
  const c: SimConfig = { ...sim, seed: 0 };
  const positions = (values as Position[]).filter((p) => p && !p.end);
  const at = new Map<string, Position>();
  for (const p of positions) {
    const k = `${p.id}@${p.tick}`;
    assert.ok(!at.has(k), `person ${p.id} twice at tick ${p.tick}`);
    at.set(k, p);
  }
  assert.equal(positions.length, c.people * ticks, 'every person at every tick, once');
  // Checked first: a restart with another seed fails here, naming the jump.
  for (let tick = 1; tick < ticks; tick++)
    for (let id = 1; id <= c.people; id++) {
      const a = at.get(`${id}@${tick - 1}`)!;
      const b = at.get(`${id}@${tick}`)!;
      assert.ok(
        Math.abs(a.x - b.x) <= STEP && Math.abs(a.y - b.y) <= STEP,
        `person ${id} jumps from (${a.x},${a.y}) at tick ${tick - 1} to (${b.x},${b.y}) at tick ${tick}`,
      );
    }
  c.seed = seedOf();
  const run = simulate(c);
  for (let tick = 0; tick < ticks; tick++)
    for (const want of run.next().value) {
      const got = at.get(`${want.id}@${tick}`)!;
      assert.deepEqual(
        { x: got.x, y: got.y, phone: got.phone },
        { x: want.x, y: want.y, phone: want.phone },
        `person ${want.id} at tick ${tick}: where the uninterrupted run of seed ${c.seed} has them`,
      );
    }
}
