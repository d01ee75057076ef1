import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { allPairs, reference } from '../../../test/helpers/stopcovid-reference.ts';
import { TopologyBuilder } from '../../index.ts';
import { TestDriver } from '../../testing/index.ts';
import { DetectScratch, spread } from './detect.ts';
import {
  type Notification,
  type PeopleRow,
  stopcovidPipeline,
  stopcovidTopics,
  TICK_MS,
  type TickSummary,
} from './pipeline.ts';
import {
  contacts,
  defaultGrid,
  Population,
  type Position,
  rng,
  type Seen,
  type SimConfig,
  simulate,
  tilesOf,
} from './sim.ts';

function pipelineFor(c: SimConfig, tile: number) {
  const t = new TopologyBuilder('stopcovid', { partitions: 1 });
  stopcovidPipeline(t, stopcovidTopics(), {
    width: c.width,
    height: c.height,
    radius: c.radius,
    tile,
    interactions: true,
    ...(c.test ? { test: c.test } : {}),
  });
  return t.compile();
}

const topics = stopcovidTopics();
const records = (ps: Position[]) => ps.map((p) => ({ key: String(p.id), value: p, timestamp: p.tick * TICK_MS }));

function runPipeline(c: SimConfig, ticks: number, partitions: number, restartAt: number[] | 'one batch' = []) {
  const d = new TestDriver(pipelineFor(c, 16), { partitions });
  const run = simulate(c);
  if (restartAt === 'one batch') {
    // Every tick's positions before any status change: only the watermarks keep the ticks apart.
    const all = Array.from({ length: ticks }, () => records(run.next().value)).flat();
    d.pipe(topics.positions, all);
  } else
    for (let tick = 0; tick < ticks; tick++) {
      if (restartAt.includes(tick)) d.restart();
      d.pipe(topics.positions, records(run.next().value));
    }
  d.end();
  return d;
}

describe('stopcovid: the pipeline equals a single-threaded synchronous simulation', () => {
  const cases = [
    { name: 'same cell', radius: 0, people: 400, side: 40 },
    { name: 'radius 3', radius: 3, people: 150, side: 60 },
  ];
  for (const k of cases) {
    for (const partitions of [1, 4]) {
      for (const restartAt of [[], [3, 7], 'one batch'] as const) {
        const how =
          restartAt === 'one batch' ? ', all ticks in one batch' : restartAt.length ? ', restarted twice' : '';
        const label = `${k.name}, ${partitions} partition(s)${how}`;
        it(`${label}: notifications, final statuses and interactions`, () => {
          const c: SimConfig = {
            people: k.people,
            width: k.side,
            height: k.side,
            seed: 42 + partitions,
            radius: k.radius,
          };
          const ticks = 12;
          const want = reference(c, ticks);
          assert.ok(want.notifications.length > 10, 'the case has infections to check');
          const d = runPipeline(c, ticks, partitions, restartAt === 'one batch' ? restartAt : [...restartAt]);

          const notes = d.values<Notification>(topics.notifications);
          const ids = notes.map((n) => n.id);
          assert.equal(new Set(ids).size, ids.length, 'one notification per person who became suspicious');
          const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
          assert.deepEqual(
            notes.map(({ id, tick, contacts }) => ({ id, tick, contacts })).sort(byId),
            [...want.notifications].sort(byId),
          );
          for (const n of notes) {
            assert.equal(
              n.message,
              `Notification sent to id #${n.id} on phone number ${n.phone} about a suspicious contagion by Covid-19.`,
            );
          }

          const latest = new Map<number, PeopleRow>();
          for (const r of d.values<PeopleRow>(topics.people)) {
            const cur = latest.get(r.people_id);
            if (!cur || cur.tick <= r.tick) latest.set(r.people_id, r);
          }
          assert.equal(latest.size, c.people);
          for (const [id, s] of want.status) assert.equal(latest.get(id)!.health_status, s, `status of ${id}`);
          assert.ok([...latest.values()].every((r) => r.tick === ticks - 1));

          const logged = d
            .values<{ tick: number; people1_id: number; people2_id: number }>(topics.interactions)
            .map((r) => `${r.tick}:${r.people1_id}-${r.people2_id}`);
          assert.equal(new Set(logged).size, logged.length, 'each interaction logged once');
          assert.deepEqual(new Set(logged), want.interactions);

          // The page's per-tick counts: each partition's summaries of a tick, added up.
          const perTick = new Map<number, { statuses: number[]; contacts: number; notifications: number }>();
          for (const x of d.values<TickSummary>(topics.ticks)) {
            const cur = perTick.get(x.tick) ?? { statuses: [0, 0, 0], contacts: 0, notifications: 0 };
            cur.statuses = [
              cur.statuses[0]! + x.no_problem,
              cur.statuses[1]! + x.suspicious,
              cur.statuses[2]! + x.infected,
            ];
            cur.contacts += x.contacts;
            cur.notifications += x.notifications;
            perTick.set(x.tick, cur);
          }
          assert.deepEqual(
            [...perTick].sort(([a], [b]) => a - b).map(([tick, v]) => ({ tick, ...v })),
            want.perTick,
          );
        });
      }
    }
  }

  for (const partitions of [1, 4]) {
    it(`the test rule (a notified person tests 3 ticks later: 2, or 0 and notifiable again), ${partitions} partition(s), restarted`, () => {
      const c: SimConfig = {
        people: 500,
        width: 40,
        height: 40,
        seed: 31,
        radius: 0,
        test: { delay: 3, positive: 0.3 },
      };
      const ticks = 24;
      const want = reference(c, ticks);
      const d = runPipeline(c, ticks, partitions, [5, 11]);
      const notes = d
        .values<Notification>(topics.notifications)
        .map(({ id, tick, contacts }) => ({ id, tick, contacts }));
      const order = (a: { id: number; tick: number }, b: { id: number; tick: number }) =>
        a.id - b.id || a.tick - b.tick;
      assert.deepEqual(notes.sort(order), [...want.notifications].sort(order));
      // The case exercises both results: someone notified twice (tested 0), and tests that said 2.
      const perId = new Map<number, number>();
      for (const n of notes) perId.set(n.id, (perId.get(n.id) ?? 0) + 1);
      assert.ok(
        [...perId.values()].some((k) => k > 1),
        'someone tested 0 and was notified again',
      );
      const initial = new Map(
        simulate(c)
          .next()
          .value.map((p) => [p.id, p.status0]),
      );
      assert.ok(
        [...want.status].some(([id, s]) => s === 2 && initial.get(id) !== 2),
        'a test said 2',
      );
      const latest = new Map<number, PeopleRow>();
      for (const r of d.values<PeopleRow>(topics.people))
        if ((latest.get(r.people_id)?.tick ?? -1) <= r.tick) latest.set(r.people_id, r);
      for (const [id, st] of want.status) assert.equal(latest.get(id)!.health_status, st, `status of ${id}`);
    });
  }

  it('a source that replays from tick 0 (restarted) changes nothing: no notification twice', () => {
    const c: SimConfig = { people: 400, width: 40, height: 40, seed: 8, radius: 0 };
    const ticks = 12;
    const want = reference(c, ticks);
    const d = new TestDriver(pipelineFor(c, 16), { partitions: 3 });
    const all = Array.from(
      (function* () {
        const run = simulate(c);
        for (let i = 0; i < ticks; i++) yield run.next().value;
      })(),
    );
    for (const ps of all.slice(0, 8)) d.pipe(topics.positions, records(ps));
    d.restart();
    for (const ps of all) d.pipe(topics.positions, records(ps));
    d.end();
    const notes = d.values<Notification>(topics.notifications);
    assert.equal(new Set(notes.map((n) => n.id)).size, notes.length);
    const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
    assert.deepEqual(
      notes.map(({ id, tick, contacts }) => ({ id, tick, contacts })).sort(byId),
      [...want.notifications].sort(byId),
    );
  });

  it('two 0s meeting stay 0: a population of 0s never changes', () => {
    const c: SimConfig = { people: 200, width: 20, height: 20, seed: 5, radius: 0 };
    const d = new TestDriver(pipelineFor(c, 8), { partitions: 2 });
    const run = simulate(c);
    let met = 0;
    for (let tick = 0; tick < 6; tick++) {
      const ps = run.next().value.map((p) => (tick === 0 ? { ...p, status0: 0 as const } : p));
      d.pipe(topics.positions, records(ps));
    }
    d.end();
    met = d.values(topics.interactions).length;
    assert.ok(met > 20, 'they did meet');
    assert.equal(d.values(topics.notifications).length, 0);
    assert.ok(d.values<PeopleRow>(topics.people).every((r) => r.health_status === 0));
  });
});

describe('stopcovid: detection and the grid', () => {
  it('property: contacts equal the all-pairs brute force for any population, grid and radius', () => {
    const population = fc
      .record({ w: fc.integer({ min: 1, max: 300 }), h: fc.integer({ min: 1, max: 300 }) })
      .chain(({ w, h }) =>
        fc.record({
          radius: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 60, max: 70 })),
          // Some piled into a corner, so cells hold several people and pairs straddle the 64-cell tiles.
          cells: fc.array(
            fc.oneof(
              fc.tuple(fc.integer({ min: 0, max: w - 1 }), fc.integer({ min: 0, max: h - 1 })),
              fc.tuple(
                fc.integer({ min: 0, max: Math.min(w - 1, 4) }),
                fc.integer({ min: 0, max: Math.min(h - 1, 4) }),
              ),
            ),
            { maxLength: 250, size: 'max' },
          ),
        }),
      );
    fc.assert(
      fc.property(population, ({ radius, cells }) => {
        const people: Seen[] = cells.map(([x, y], i) => ({ id: i + 1, x, y, status: 0 }));
        const got = contacts(people, radius).map(([i, j]) => {
          const [a, b] = [people[i]!.id, people[j]!.id];
          return `${Math.min(a, b)}-${Math.max(a, b)}`;
        });
        assert.equal(new Set(got).size, got.length, 'each pair once');
        assert.deepEqual(new Set(got), allPairs(people, radius));
      }),
      { numRuns: 300 },
    );
  });

  it("the population: the seed's initial odds (2: 1/21, 1: 5/21, 0: 15/21), its density by default, phones in range", () => {
    const n = 200_000;
    const pop = new Population({ people: n, ...defaultGrid(n), seed: 3, radius: 0 });
    const counts = [0, 0, 0];
    for (const s of pop.status0) counts[s]!++;
    // Within 5 standard deviations of each expected count (binomial): fails on any other odds.
    for (const [status, p] of [
      [2, 1 / 21],
      [1, 5 / 21],
      [0, 15 / 21],
    ] as const) {
      const sd = Math.sqrt(n * p * (1 - p));
      assert.ok(Math.abs(counts[status]! - n * p) < 5 * sd, `status ${status}: ${counts[status]} of ${n}`);
    }
    for (const people of [99, 10_000, 1_000_000]) {
      const { width, height } = defaultGrid(people);
      const density = people / (width * height);
      assert.ok(Math.abs(density / (99 / (101 * 101)) - 1) < 0.02, `${people}: density ${density}`);
    }
    assert.deepEqual(defaultGrid(99), { width: 101, height: 101 });
    for (const phone of pop.phones) assert.ok(phone >= 33600000000 && phone <= 33799999999 && Number.isInteger(phone));
  });

  it('contacts equal the all-pairs brute force on random populations (same cell and radii)', () => {
    const r = rng(9);
    for (let round = 0; round < 60; round++) {
      const radius = [0, 1, 2, 5][round % 4]!;
      const side = 5 + Math.floor(r() * 40);
      const people: Seen[] = Array.from({ length: 1 + Math.floor(r() * 120) }, (_, i) => ({
        id: i + 1,
        x: Math.floor(r() * side),
        y: Math.floor(r() * side),
        status: 0,
      }));
      const got = new Set(
        contacts(people, radius).map(([i, j]) => {
          const [a, b] = [people[i]!.id, people[j]!.id];
          return `${Math.min(a, b)}-${Math.max(a, b)}`;
        }),
      );
      assert.deepEqual(got, allPairs(people, radius), `round ${round}`);
      assert.equal(contacts(people, radius).length, got.size, 'each pair once');
    }
  });

  it('contacts equal the brute force on wide grids too (cell keys past one radix digit), sparse and crowded', () => {
    const r = rng(12);
    for (let round = 0; round < 12; round++) {
      const radius = [0, 1, 3, 7][round % 4]!;
      const w = 50 + Math.floor(r() * 4000);
      const h = 50 + Math.floor(r() * 3000);
      const n = round % 2 ? 1500 : 300;
      // Half of them crowded into a corner, so cells hold several people.
      const people: Seen[] = Array.from({ length: n }, (_, i) => ({
        id: i + 1,
        x: Math.floor(r() * (i % 2 ? w : 12)),
        y: Math.floor(r() * (i % 2 ? h : 12)),
        status: 0,
      }));
      const got = contacts(people, radius).map(([i, j]) => `${people[i]!.id}-${people[j]!.id}`);
      assert.equal(new Set(got).size, got.length, 'each pair once');
      assert.deepEqual(new Set(got), allPairs(people, radius), `round ${round}`);
    }
  });

  it('contacts equal the brute force across tile borders (64-cell tiles) and past them (radius >= 64)', () => {
    const r = rng(21);
    for (const radius of [1, 3, 6, 63, 64, 90]) {
      const side = radius >= 63 ? 400 : 200;
      // Dense enough that many pairs straddle the tile borders at 64, 128, …
      const people: Seen[] = Array.from({ length: radius >= 63 ? 300 : 2500 }, (_, i) => ({
        id: i + 1,
        x: Math.floor(r() * side),
        y: Math.floor(r() * (side - 17)),
        status: 0,
      }));
      const got = contacts(people, radius).map(([i, j]) => `${people[i]!.id}-${people[j]!.id}`);
      const want = allPairs(people, radius);
      assert.ok(want.size > 100, `radius ${radius}: pairs to find`);
      assert.equal(new Set(got).size, got.length, `radius ${radius}: each pair once`);
      assert.deepEqual(new Set(got), want, `radius ${radius}`);
    }
  });

  it("spread on typed arrays (the benchmark's detection) gives the reference statuses tick after tick", () => {
    for (const radius of [0, 2]) {
      const c: SimConfig = { people: 600, width: 45, height: 35, seed: 4 + radius, radius };
      const ticks = 15;
      const want = reference(c, ticks);
      const pop = new Population(c);
      let status = Uint8Array.from(pop.status0);
      let next = new Uint8Array(c.people);
      const scratch = new DetectScratch();
      let changed = 0;
      for (let tick = 0; tick < ticks; tick++) {
        if (tick > 0) pop.move();
        changed += spread(pop.xs, pop.ys, status, next, c.width, c.height, c.radius, scratch);
        [status, next] = [next, status];
      }
      assert.equal(changed, want.notifications.length);
      for (const [id, s] of want.status) assert.equal(status[id - 1], s, `status of ${id}, radius ${radius}`);
    }
  });

  it('a person is sent to every tile holding a point within the radius', () => {
    const r = rng(3);
    const [w, h, tile] = [50, 37, 8];
    for (let n = 0; n < 3000; n++) {
      const radius = 1 + Math.floor(r() * 7);
      const [x, y] = [Math.floor(r() * w), Math.floor(r() * h)];
      const [qx, qy] = [Math.floor(r() * w), Math.floor(r() * h)];
      if ((x - qx) ** 2 + (y - qy) ** 2 > radius * radius) continue;
      const home = tilesOf(qx, qy, tile, radius, w, h)[0]!;
      assert.ok(tilesOf(x, y, tile, radius, w, h).includes(home), `${x},${y} reaches ${qx},${qy} r=${radius}`);
    }
  });

  it('positions never leave the grid, moves are within 5 per axis, the same seed gives the same run', () => {
    const c: SimConfig = { people: 300, width: 13, height: 11, seed: 1, radius: 0 };
    const a = simulate(c);
    const b = simulate(c);
    let last: Position[] | undefined;
    for (let tick = 0; tick < 200; tick++) {
      const ps = a.next().value;
      assert.deepEqual(ps, b.next().value);
      for (const p of ps) {
        assert.ok(p.x >= 0 && p.x < c.width && p.y >= 0 && p.y < c.height, `${p.x},${p.y}`);
        assert.ok(p.phone >= 33600000000 && p.phone <= 33799999999);
      }
      const before = last;
      if (before)
        for (const [i, p] of ps.entries())
          assert.ok(Math.abs(p.x - before[i]!.x) <= 5 && Math.abs(p.y - before[i]!.y) <= 5);
      last = ps;
    }
  });
});
