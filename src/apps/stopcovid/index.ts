import {
  type AppOptions,
  defineApp,
  type Env,
  ErrorCodes,
  envNumber,
  RunnelError,
  type Source,
  type SourceContext,
  type SourceItem,
} from '../../index.ts';
import { stopcovidPanels } from './panels.ts';
import { stopcovidPipeline, stopcovidTopics, TICK_MS } from './pipeline.ts';
import { type Resume, type RunSettings, resumeRun, runMark } from './resume.ts';
import { defaultGrid, type SimConfig, simulate } from './sim.ts';

/** Partitions of the app's topics: people are spread over them, and tiles over the contact stage's. */
const PARTITIONS = 6;

export interface StopcovidSettings {
  sim: SimConfig;
  /**
   * Whether --seed (STOPCOVID_SEED) gave `sim.seed`; if not, it was drawn, and a restart goes on with the
   * seed its run kept on the topic instead.
   */
  seedGiven: boolean;
  /** Ticks to run (undefined: until stopped). */
  ticks: number | undefined;
  /** Ticks per second, 0 = as fast as possible. */
  tickRate: number;
  tile: number;
  interactions: boolean;
  /** The people table into JSONL too: a file of every person at every tick (see sinks). */
  peopleJsonl: boolean;
}

/** The app's settings from the environment (`.env`), as the seeds give theirs: STOPCOVID_*. */
export function stopcovidSettings(env: Env, seed?: number): StopcovidSettings {
  const int = (n: number) => Number.isInteger(n) && n >= 0;
  const people = envNumber(env, 'STOPCOVID_PEOPLE', 10_000, (n) => int(n) && n >= 1, 'a whole number >= 1');
  const grid = env.STOPCOVID_GRID?.trim();
  let { width, height } = defaultGrid(people);
  if (grid) {
    const m = /^(\d+)x(\d+)$/i.exec(grid);
    if (!m || Number(m[1]) < 11 || Number(m[2]) < 11) {
      throw new RunnelError(ErrorCodes.CONFIG_INVALID, `STOPCOVID_GRID must be WxH, each >= 11 (got "${grid}")`);
    }
    width = Number(m[1]);
    height = Number(m[2]);
  }
  const radius = envNumber(env, 'STOPCOVID_RADIUS', 0, int, 'a whole number >= 0 (0: same cell)');
  const tile = envNumber(env, 'STOPCOVID_TILE', 64, (n) => int(n) && n > radius, 'a whole number above the radius');
  const ticksRaw = envNumber(env, 'STOPCOVID_TICKS', 0, int, 'a whole number (0: until stopped)');
  const delay = envNumber(env, 'STOPCOVID_TEST_DELAY', 0, int, 'a whole number of ticks (0: no tests)');
  const positive = envNumber(env, 'STOPCOVID_TEST_POSITIVE', 0.5, (n) => n >= 0 && n <= 1, 'a probability, 0 to 1');
  const seedGiven = seed !== undefined || (env.STOPCOVID_SEED ?? '').trim() !== '';
  return {
    seedGiven,
    sim: {
      people,
      width,
      height,
      radius,
      seed: seed ?? envNumber(env, 'STOPCOVID_SEED', Date.now() % 2 ** 31, Number.isInteger, 'an integer'),
      ...(delay > 0 ? { test: { delay, positive } } : {}),
    },
    ticks: ticksRaw === 0 ? undefined : ticksRaw,
    tickRate: envNumber(env, 'STOPCOVID_TICK_RATE', 1, (n) => n >= 0, 'a number >= 0 (0: as fast as possible)'),
    tile,
    interactions: !/^(0|off|false|no)$/i.test(env.STOPCOVID_INTERACTIONS ?? ''),
    peopleJsonl: !/^(0|off|false|no)$/i.test(env.STOPCOVID_PEOPLE_JSONL ?? ''),
  };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** The simulation as a source: one batch of everyone's positions per tick, the tick as event time. */
export function simulationSource(s: StopcovidSettings): Source {
  /** Where this run starts and with which seed, found once (prepare, or read when nothing called it). */
  let resume: Promise<Resume | undefined> | undefined;
  const resumeOf = (ctx: SourceContext) => {
    resume ??= resumeRun(ctx, runSettingsOf(s, s.sim.seed), { seedGiven: s.seedGiven, ticks: s.ticks });
    return resume;
  };
  /** What the batch just handed out says of the run (see Source.runMark); undefined before the first. */
  let mark: string | undefined;
  /** Where this run started: its first tick, and the people of it an earlier run sent (see cutNote). */
  let start: { from: number; sentThrough: number } | undefined;
  return {
    name: 'stopcovid-simulation',
    // Each tick's positions are new objects (see Source.handsOver).
    handsOver: true,
    // A run cut by --limit goes on in the next, as buzz does: its last tick stays open for it.
    resumes: true,
    async prepare(ctx) {
      await resumeOf(ctx);
    },
    runMark: () => mark,
    // A tick's notifications and contacts come once every person of it moved: a --limit inside a tick
    // (below one tick's people: `demo --limit 3000`) leaves them all at 0, which the line should explain.
    cutNote(produced) {
      if (start === undefined) return undefined;
      const people = s.sim.people;
      const sent = start.sentThrough + produced;
      const inTick = sent % people;
      if (inTick === 0) return undefined;
      const tick = start.from + Math.floor(sent / people);
      return (
        `tick ${tick} is cut after ${inTick} of its ${people} people, and a tick's notifications and contacts ` +
        `come once all of them moved: the next run completes it (whole ticks: a --limit that is a multiple of ${people})`
      );
    },
    async *read(ctx) {
      const resumed = await resumeOf(ctx);
      if (resumed === undefined) return;
      const { from, seed, sentThrough = 0 } = resumed;
      start = { from, sentThrough };
      const settings = runSettingsOf(s, seed);
      const run = simulate({ ...s.sim, seed });
      // The ticks an earlier run put on the topic are simulated again, not sent: with the run's seed the
      // run goes on exactly as if it had not stopped.
      for (let tick = 0; tick < from; tick++) {
        run.next();
        if (tick % 64 === 63) await new Promise((r) => setImmediate(r));
        if (ctx.signal.aborted) return;
      }
      const started = Date.now() - (from * 1000) / (s.tickRate || 1);
      for (let tick = from; s.ticks === undefined || tick < s.ticks; tick++) {
        if (ctx.signal.aborted) return;
        if (s.tickRate > 0) {
          const due = started + (tick * 1000) / s.tickRate;
          if (due > Date.now()) await sleep(due - Date.now(), ctx.signal);
          if (ctx.signal.aborted) return;
        } else if (tick % 16 === 15) {
          await new Promise((r) => setImmediate(r)); // as fast as possible, yet Ctrl-C stays heard
        }
        const positions = run.next().value;
        // The people of a tick a --limit cut had sent already (see Resume.sentThrough) are not sent again.
        const batch: SourceItem[] = (tick === from ? positions.filter((p) => p.id > sentThrough) : positions).map(
          (p) => ({
            kind: 'record' as const,
            record: { key: String(p.id), value: p, timestamp: p.tick * TICK_MS },
          }),
        );
        mark = runMark(settings, tick);
        yield batch;
      }
      // A bounded run ends with one more tick of end markers, one per person (so one on every partition):
      // they move the watermark past the last tick, which then closes like the others, with no need for the
      // input to be declared over (a `produce` then `consume --drain` run completes every tick too).
      if (s.ticks !== undefined && !ctx.signal.aborted) {
        const tick = s.ticks;
        mark = runMark(settings, tick);
        yield Array.from({ length: s.sim.people }, (_, i) => ({
          kind: 'record' as const,
          record: {
            key: String(i + 1),
            value: { id: i + 1, phone: 0, x: 0, y: 0, tick, end: true },
            timestamp: tick * TICK_MS,
          },
        }));
      }
    },
  };
}

/** What a run keeps on its topic for the next to check and go on with (see resume.ts). */
function runSettingsOf(s: StopcovidSettings, seed: number): RunSettings {
  const { people, width, height, radius, test } = s.sim;
  return { seed, people, width, height, radius, tile: s.tile, test: test ?? null };
}

function settingsOf(options: AppOptions): StopcovidSettings {
  return stopcovidSettings(options.env, options.seed);
}

/** The app's topics: STOPCOVID_TOPIC names the notifications topic (default `stopcovid`, as the seed) and prefixes the others. */
const topicsOf = (env: Env) => stopcovidTopics(env.STOPCOVID_TOPIC?.trim() || 'stopcovid');

export const stopcovidApp = defineApp({
  name: 'stopcovid',
  title: 'Stop Covid',
  description:
    'A population moving on a grid (seed 004): contacts per tick, statuses spread synchronously, each suspicious person notified once',
  // Each is also its STOPCOVID_* key (.env), read by stopcovidSettings; --seed is the CLI's own.
  flags: [
    { name: 'people', env: 'STOPCOVID_PEOPLE', value: 'n', description: 'population size (default 10000)' },
    { name: 'ticks', env: 'STOPCOVID_TICKS', value: 'n', description: 'stop after N ticks (default: until stopped)' },
    {
      name: 'tick-rate',
      env: 'STOPCOVID_TICK_RATE',
      value: 'r',
      description: 'ticks per second, 0 = as fast as possible',
    },
    { name: 'grid', env: 'STOPCOVID_GRID', value: 'WxH', description: "grid size (default: the seed's density)" },
    { name: 'radius', env: 'STOPCOVID_RADIUS', value: 'r', description: 'contact distance, 0 = same cell (default)' },
    { name: 'tile', env: 'STOPCOVID_TILE', value: 'n', description: 'side of the tiles space is partitioned by' },
    { name: 'interactions', env: 'STOPCOVID_INTERACTIONS', value: 'on|off', description: 'log every contact' },
    {
      name: 'people-jsonl',
      env: 'STOPCOVID_PEOPLE_JSONL',
      value: 'on|off',
      description: 'the people table into JSONL too: every person at every tick (the demo: off)',
    },
    {
      name: 'test-delay',
      env: 'STOPCOVID_TEST_DELAY',
      value: 'n',
      description: 'a notified person tests n ticks later (0 = never, the default)',
    },
    {
      name: 'test-positive',
      env: 'STOPCOVID_TEST_POSITIVE',
      value: 'p',
      description: 'chance a test says 2 (infected), else 0 again (default 0.5)',
    },
  ],
  partitions: PARTITIONS,
  // STOPCOVID_RETENTION_MINUTES: how long the per-person-per-tick topics (positions, people) keep their
  // records, for a broker whose default is a week; the demo sets it (10,000 people write ~150 MB a minute).
  // 0 leaves the topics as they are (a new one gets the broker's default). The newest batch of each
  // partition stays whatever its age (as Kafka keeps its active segment): the source resumes after it.
  topics: (options) => {
    const minutes = envNumber(
      options.env,
      'STOPCOVID_RETENTION_MINUTES',
      0,
      (n) => Number.isInteger(n) && n >= 0,
      'whole minutes >= 0 (0: leave the topics as they are)',
    );
    if (minutes === 0) return {};
    const topics = topicsOf(options.env);
    const kept = { partitions: PARTITIONS, retentionMs: minutes * 60_000 };
    return { [topics.positions]: kept, [topics.people]: kept };
  },
  sources(options) {
    return [{ topic: topicsOf(options.env).positions, source: simulationSource(settingsOf(options)) }];
  },
  pipeline(t, options) {
    const s = settingsOf(options);
    stopcovidPipeline(t, topicsOf(options.env), {
      width: s.sim.width,
      height: s.sim.height,
      radius: s.sim.radius,
      tile: s.tile,
      interactions: s.interactions,
      ...(s.sim.test ? { test: s.sim.test } : {}),
    });
  },
  // The map's grid follows the settings (people, --grid); the seed is not needed for the page.
  panels: (env) =>
    stopcovidPanels(
      stopcovidSettings(env, 0),
      topicsOf(env),
      envNumber(env, 'STOPCOVID_MAP_POINTS', 50_000, (n) => Number.isInteger(n) && n >= 1, 'a whole number >= 1'),
    ),
  // `runnel consume stopcovid` prints each notification's sentence, as the seed's Consumer.py did.
  prints: (options) => ({
    topic: topicsOf(options.env).notifications,
    line: (v) => {
      const message = (v as { message?: unknown } | null)?.message;
      return typeof message === 'string' ? message : undefined;
    },
  }),
  sinks(options) {
    const s = settingsOf(options);
    const topics = topicsOf(options.env);
    return [
      { topic: topics.notifications, table: 'notifications' },
      // The log of status changes (its watermark markers are not written: sinks skip them).
      { topic: topics.status, table: 'status_changes', kinds: ['jsonl'] },
      {
        topic: topics.people,
        table: 'people',
        key: 'people_id',
        // A table sink keeps one row per person; JSONL cannot update a line, so it holds every person at every
        // tick: 10,000 people wrote 53 MB a minute into it, without end, in a demo left running.
        ...(s.peopleJsonl ? {} : { kinds: options.sinks.filter((k) => k !== 'jsonl') }),
        columns: [
          { name: 'people_id', type: 'integer' },
          { name: 'phone_nb', type: 'integer' },
          { name: 'pos_x', type: 'integer' },
          { name: 'pos_y', type: 'integer' },
          { name: 'health_status', type: 'integer' },
          { name: 'tick', type: 'integer' },
        ],
      },
      ...(s.interactions
        ? [
            {
              topic: topics.interactions,
              table: 'interactions',
              columns: [
                { name: 'tick', type: 'integer' as const },
                { name: 'people1_id', type: 'integer' as const },
                { name: 'people2_id', type: 'integer' as const },
              ],
            },
          ]
        : []),
    ];
  },
});
