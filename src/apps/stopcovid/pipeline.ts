import { mapStore, type TopologyBuilder, valueStore, z } from '../../index.ts';
import {
  contacts,
  infections,
  notificationText,
  type Position,
  type Seen,
  type Status,
  statusAt,
  type TestRule,
  tilesOf,
} from './sim.ts';

/** One tick is one second of event time, so a window of 1 s is one tick. */
export const TICK_MS = 1000;

export interface StopcovidTopics {
  positions: string;
  /** Status changes, keyed by person: the feedback topic the person stage reads back. */
  status: string;
  notifications: string;
  people: string;
  interactions: string;
  /** Per tick and partition of the contact stage: the status counts, contacts and notifications (TickSummary). */
  ticks: string;
}

export const stopcovidTopics = (base = 'stopcovid'): StopcovidTopics => ({
  positions: `${base}.positions`,
  status: `${base}.status`,
  notifications: base,
  people: `${base}.people`,
  interactions: `${base}.interactions`,
  ticks: `${base}.ticks`,
});

export interface StopcovidOptions {
  width: number;
  height: number;
  /** 0: same cell; else distance <= radius. */
  radius: number;
  /** Side of a tile (cells): the contact stage is keyed by tile. */
  tile: number;
  interactions: boolean;
  /** The optional test rule (see TestRule): off when absent. */
  test?: TestRule;
}

export const positionSchema = z.object({
  id: z.number().int(),
  phone: z.number(),
  x: z.number().int(),
  y: z.number().int(),
  tick: z.number().int().nonnegative(),
  status0: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
  /** The run's end: a tick after the last, that only says the last is complete (nobody moves). */
  end: z.literal(true).optional(),
});

export const statusChangeSchema = z.object({ id: z.number().int(), tick: z.number().int(), status: z.literal(1) });
export type StatusChange = z.infer<typeof statusChangeSchema>;

/**
 * What the person stage knows of someone: the initial status and the ticks they became 1 (once without
 * the test rule; again after each negative test with it).
 */
interface Person {
  s0: Status;
  phone: number;
  changes: number[];
}

/**
 * Where people are at a tick that waits for the watermark, under the tick's key (`t<tick>`): a release
 * reads just the tick it releases (kept by person, all of one person's ticks in one value, a stage that
 * fell behind grew slower the further it fell). Each entry is a chunk of the input, sub-key `c<n>` for
 * offsets n × WAIT_CHUNK onwards, holding [id, x, y, id, x, y, …] (the phone is in Person): an entry per
 * person cost a store entry, a log entry and a tombstone for each, a fifth of the app's time. An older
 * version's entries (sub-key the person's id, value [x, y]) are still read.
 */
type Waiting = number[];
const WAIT_CHUNK = 1024;
const tickKey = (tick: number) => `t${tick}`;
/** What an older version held, all of a person's ticks in one value: drained, never written. */
type OldHeld = Array<[tick: number, x: number, y: number] | Position>;

/** Someone as the contact stage sees them at a tick: status as of the end of the tick before. */
interface Visit extends Seen {
  phone: number;
  tick: number;
  home: boolean;
  /** Their status at the end of this tick unless a contact now changes it (a test's result may). */
  next: Status;
}

/**
 * One person-stage partition's visitors of one tile at one tick: the stage releases a whole tick at once,
 * so it sends each tile one record per tick instead of one per person (a few hundred records a tick where
 * there were as many as people), and the contact stage stores each as it came, once. As columns, one
 * array per field (`home`: 1 for the visitor's own tile, 0 for a tile within reach): a list of Visit
 * objects spelled every field's name for every visitor, and writing, reading and storing that text was a
 * quarter of the app's time. A batch of an older version (`visits`, the objects) is still read.
 */
interface TileVisits {
  tick: number;
  id: number[];
  phone: number[];
  x: number[];
  y: number[];
  status: Status[];
  next: Status[];
  home: Array<0 | 1>;
}
type OldTileVisits = { tick: number; visits: Visit[] };

/** The visitors of a batch, as the contact stage works with them (either form). */
function visitsOf(b: TileVisits | OldTileVisits): Visit[] {
  if ('visits' in b) return b.visits;
  const out: Visit[] = new Array(b.id.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = {
      id: b.id[i]!,
      phone: b.phone[i]!,
      x: b.x[i]!,
      y: b.y[i]!,
      tick: b.tick,
      status: b.status[i]!,
      next: b.next[i]!,
      home: b.home[i] === 1,
    };
  }
  return out;
}

/** Its first visitor's id (a batch's sub-key with its tick: one person is in a tile once a tick). */
const firstId = (b: TileVisits | OldTileVisits): number | undefined => ('visits' in b ? b.visits[0]?.id : b.id[0]);

export interface Notification {
  id: number;
  phone: number;
  tick: number;
  contacts: number[];
  message: string;
}

export interface PeopleRow {
  people_id: number;
  phone_nb: number;
  pos_x: number;
  pos_y: number;
  health_status: Status;
  tick: number;
}

/**
 * What one partition of the contact stage decided for a tick: its people's statuses at the end of it, the
 * contacts (each pair once, as in the interactions log) and the notifications. The page adds a tick's
 * partitions up: one small record per partition and tick, where the people topic holds one per person,
 * so the dashboard's history of a few hundred records a partition spans hundreds of ticks.
 */
export interface TickSummary {
  tick: number;
  no_problem: number;
  suspicious: number;
  infected: number;
  contacts: number;
  notifications: number;
}

type In = { kind: 'position'; p: Position } | { kind: 'change'; c: StatusChange };

/**
 * The dataflow, synchronous whatever the partitions: contacts in tick t use statuses as of the end of t−1.
 *
 * - Person stage (keyed by person; positions and status changes co-partitioned): keeps each person's
 *   status and holds a position of tick t until its watermark passes t. That watermark is the minimum of
 *   the positions' and the status changes' + 1 tick (a change of t only matters from t + 1), so by then
 *   every change of ticks < t is in. It then sends the person, with their status, to their tile (and, with
 *   a radius, as a ghost to the tiles within reach).
 * - Contact stage (keyed by tile): holds a tick's visitors until its watermark passes the tick, finds the
 *   contacts, and decides for the people at home in the tile: changes go back to the status topic, which
 *   carries this stage's watermark (markers too, at ticks with no change), closing the loop.
 */
export function stopcovidPipeline(t: TopologyBuilder, topics: StopcovidTopics, o: StopcovidOptions): void {
  // Positions come in tick order per person; idleness must never release the loop's watermark early.
  const positions = t
    .stream(topics.positions, { schema: positionSchema, eventTime: (p) => p.tick * TICK_MS, idleTimeoutMs: Infinity })
    .map((p): In => ({ kind: 'position', p }), { name: 'as-position' });
  const changes = t
    .stream(topics.status, {
      schema: statusChangeSchema,
      eventTime: (c) => c.tick * TICK_MS,
      watermarkDelayMs: TICK_MS,
      initialWatermark: 0,
      idleTimeoutMs: Infinity,
    })
    .map((c): In => ({ kind: 'change', c }), { name: 'as-change' });

  positions
    .merge(changes)
    .keyedByTopic()
    .process<
      TileVisits,
      {
        person: ReturnType<typeof valueStore<Person>>;
        byTick: ReturnType<typeof mapStore<Waiting>>;
        held: ReturnType<typeof valueStore<OldHeld>>;
      }
    >(
      {
        name: 'person',
        stores: { person: valueStore<Person>(), byTick: mapStore<Waiting>(), held: valueStore<OldHeld>() },
        onWatermark(wm, ctx) {
          const out = new Map<string, { tile: string; batch: TileVisits }>();
          const send = (id: number, person: Person | undefined, tick: number, x: number, y: number) => {
            const at = (t: number) => statusAt(id, person?.s0 ?? 0, person?.changes ?? [], t, o.test);
            const status = at(tick - 1);
            const next = at(tick);
            const phone = person?.phone ?? 0;
            tilesOf(x, y, o.tile, o.radius, o.width, o.height).forEach((tile, i) => {
              const k = `${tile}|${tick}`;
              let to = out.get(k);
              if (!to) {
                const batch = { tick, id: [], phone: [], x: [], y: [], status: [], next: [], home: [] };
                to = { tile, batch };
                out.set(k, to);
              }
              const b = to.batch;
              b.id.push(id);
              b.phone.push(phone);
              b.x.push(x);
              b.y.push(y);
              b.status.push(status);
              b.next.push(next);
              b.home.push(i === 0 ? 1 : 0);
            });
          };
          const due = ctx
            .keys('byTick')
            .map((key) => ({ key, tick: Number(key.slice(1)) }))
            .filter(({ tick }) => tick * TICK_MS < wm)
            .sort((a, b) => a.tick - b.tick);
          for (const { key, tick } of due) {
            const c = ctx.forKey(key);
            // Newest first, each person once: a move read twice (the input replayed while the tick waited)
            // is the same move.
            const sent = new Set<number>();
            const go = (id: number, x: number, y: number) => {
              if (sent.has(id)) return;
              sent.add(id);
              send(id, c.stores.person.getFor(String(id)), tick, x, y);
            };
            for (const [sub, w] of c.stores.byTick.entries().reverse()) {
              if (sub.startsWith('c')) for (let i = w.length - 3; i >= 0; i -= 3) go(w[i]!, w[i + 1]!, w[i + 2]!);
              else go(Number(sub), w[0]!, w[1]!);
            }
            c.stores.byTick.clear();
          }
          for (const key of ctx.keys('held')) {
            const c = ctx.forKey(key);
            const person = c.stores.person.get();
            for (const h of c.stores.held.get() ?? []) {
              const [tick, x, y] = Array.isArray(h) ? h : [h.tick, h.x, h.y];
              // A whole Position carries the phone a person not stored yet would otherwise lack.
              const who = person ?? (Array.isArray(h) ? undefined : { s0: 0 as const, phone: h.phone, changes: [] });
              if (tick * TICK_MS < wm) send(Number(key), who, tick, x, y);
              else ctx.forKey(tickKey(tick)).stores.byTick.set(key, [x, y]); // the older form: read as such
            }
            c.stores.held.delete();
          }
          for (const { tile, batch } of out.values())
            ctx.forKey(tile).emit(batch, { key: tile, timestamp: batch.tick * TICK_MS });
        },
      },
      (v, ctx) => {
        if (v.kind === 'change') {
          const person = ctx.stores.person.get();
          // `?? []`: a person kept by an older version of this step has none.
          if (person && !(person.changes ?? []).includes(v.c.tick)) {
            const changes = [...(person.changes ?? []), v.c.tick].sort((a, b) => a - b);
            ctx.stores.person.set({ ...person, changes });
          }
          return;
        }
        const p = v.p;
        if (p.end) return; // its event time moved the watermark past the last tick: nothing to hold
        // A tick already released (the source replayed from tick 0 after a restart): decided already, and
        // deciding it again would notify twice. The same seed replays the same moves, so the run goes on.
        if (p.tick * TICK_MS < ctx.watermark) return;
        // Someone first seen without a status (never, but for state lost under the input) starts at 0.
        if (!ctx.stores.person.get()) ctx.stores.person.set({ s0: p.status0 ?? 0, phone: p.phone, changes: [] });
        // Set again after each change: the store logs what it is told changed.
        const waiting = ctx.storesFor(tickKey(p.tick)).byTick;
        const chunk = `c${Math.floor(ctx.origin.offset / WAIT_CHUNK)}`;
        const w = waiting.get(chunk) ?? [];
        w.push(p.id, p.x, p.y);
        waiting.set(chunk, w);
      },
    )
    // Keyed by tile already (emit's key): the keyBy only marks it, so the contact stage repartitions by it.
    .keyBy((_v, meta) => meta.key!, { name: 'by-tile' })
    .process<StatusChange, { visits: ReturnType<typeof mapStore<TileVisits | OldTileVisits>> }>(
      {
        name: 'contacts',
        // Per tile, the batches of visitors as they came (sub-key: tick and first visitor, one person being
        // in a tile once a tick), each stored once; a tick's are put together when the watermark passes it.
        stores: { visits: mapStore<TileVisits | OldTileVisits>() },
        outputs: [topics.notifications, topics.people, topics.ticks, ...(o.interactions ? [topics.interactions] : [])],
        onWatermark(wm, ctx) {
          const summaries = new Map<number, TickSummary>();
          const summary = (tick: number) => {
            let x = summaries.get(tick);
            if (!x) {
              x = { tick, no_problem: 0, suspicious: 0, infected: 0, contacts: 0, notifications: 0 };
              summaries.set(tick, x);
            }
            return x;
          };
          for (const key of ctx.keys('visits')) {
            const c = ctx.forKey(key);
            const byTick = new Map<number, { subs: string[]; visits: Visit[] }>();
            for (const [sub, stored] of c.stores.visits.entries()) {
              // An older version kept a tile's visits by tick ({ [tick]: Visit[] }), which the map store
              // splits into an entry per tick.
              const batch: TileVisits | OldTileVisits = Array.isArray(stored)
                ? { tick: Number(sub), visits: stored as Visit[] }
                : stored;
              if ((batch.tick + 1) * TICK_MS > wm) continue;
              let at = byTick.get(batch.tick);
              if (!at) {
                at = { subs: [], visits: [] };
                byTick.set(batch.tick, at);
              }
              at.subs.push(sub);
              for (const v of visitsOf(batch)) at.visits.push(v);
            }
            if (byTick.size === 0) continue;
            for (const tick of [...byTick.keys()].sort((a, b) => a - b)) {
              const { subs, visits } = byTick.get(tick)!;
              visits.sort((a, b) => a.id - b.id);
              const met = contacts(visits, o.radius);
              const at = tick * TICK_MS;
              const changed = infections(visits, met);
              const byId = new Map(visits.map((x) => [x.id, x]));
              const sum = summary(tick);
              for (const [id, by] of changed) {
                const v = byId.get(id)!;
                if (!v.home) continue; // its home tile decides, once
                sum.notifications++;
                c.emit({ id, tick, status: 1 }, { key: String(id), timestamp: at });
                const n: Notification = {
                  id,
                  phone: v.phone,
                  tick,
                  contacts: by,
                  message: notificationText(id, v.phone),
                };
                c.emitTo(topics.notifications, n, { key: String(id), timestamp: at });
              }
              for (const v of visits) {
                if (!v.home) continue;
                const row: PeopleRow = {
                  people_id: v.id,
                  phone_nb: v.phone,
                  pos_x: v.x,
                  pos_y: v.y,
                  health_status: changed.has(v.id) ? 1 : v.next,
                  tick,
                };
                if (row.health_status === 0) sum.no_problem++;
                else if (row.health_status === 1) sum.suspicious++;
                else sum.infected++;
                c.emitTo(topics.people, row, { key: String(v.id), timestamp: at });
              }
              for (const [i, j] of met) {
                const a = visits[i]!;
                const b = visits[j]!;
                const lo = a.id < b.id ? a : b;
                if (!lo.home) continue; // the pair is logged (and counted) by the home tile of its lower id
                sum.contacts++;
                if (!o.interactions) continue;
                const row = { tick, people1_id: lo.id, people2_id: lo === a ? b.id : a.id };
                c.emitTo(topics.interactions, row, { key: String(lo.id), timestamp: at });
              }
              for (const sub of subs) c.stores.visits.delete(sub);
            }
          }
          for (const x of summaries.values())
            ctx.emitTo(topics.ticks, x, { key: String(x.tick), timestamp: x.tick * TICK_MS });
        },
      },
      (v, ctx) => {
        // What an older version put on the by-tile topic: a list of Visit objects, or one Visit alone.
        const old = v as unknown as OldTileVisits | Visit;
        const batch: TileVisits | OldTileVisits = Array.isArray(v.id)
          ? v
          : 'visits' in old && Array.isArray(old.visits)
            ? old
            : { tick: v.tick, visits: [old as Visit] };
        const first = firstId(batch);
        if (first !== undefined) ctx.stores.visits.set(`${batch.tick}:${first}`, batch);
      },
    )
    .to(topics.status, { carryWatermark: true });
}
