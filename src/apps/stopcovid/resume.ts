/**
 * Where a stopcovid run goes on from, and with what: the newest tick on the positions topic, and the seed
 * and settings the run that wrote it kept with it (its run mark, see Source.runMark). A restart without
 * --seed drew a new one and teleported everyone; one with other settings mixed two simulations in silence.
 */
import { ErrorCodes, RunnelError, type SourceContext, z } from '../../index.ts';
import { positionSchema } from './pipeline.ts';
import type { TestRule } from './sim.ts';

/** What decides the simulation and what the pipeline's state was built with: a run goes on only with the same. */
export interface RunSettings {
  seed: number;
  people: number;
  width: number;
  height: number;
  radius: number;
  /** The contact stage is keyed by tile: a tick half sent under another tile size would be split. */
  tile: number;
  test: TestRule | null;
}

const markSchema = z.object({
  tick: z.number().int().nonnegative(),
  seed: z.number().int(),
  people: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  radius: z.number().int(),
  tile: z.number().int(),
  test: z.object({ delay: z.number(), positive: z.number() }).nullable(),
});
type Mark = z.infer<typeof markSchema>;

/** The mark of the batch of `tick` (see Source.runMark). */
export const runMark = (r: RunSettings, tick: number): string => JSON.stringify({ tick, ...r });

function parseMark(text: string): Mark | undefined {
  try {
    const m = markSchema.safeParse(JSON.parse(text));
    return m.success ? m.data : undefined;
  } catch {
    // Not a mark of this app's (someone else's producer on the topic): not ours to read.
    return undefined;
  }
}

/** Each setting as the flag that gives it. */
const FLAGS: Array<[string, (r: RunSettings) => string]> = [
  ['people', (r) => `--people ${r.people}`],
  ['grid', (r) => `--grid ${r.width}x${r.height}`],
  ['seed', (r) => `--seed ${r.seed}`],
  ['radius', (r) => `--radius ${r.radius}`],
  ['tile', (r) => `--tile ${r.tile}`],
  ['test', (r) => (r.test ? `--test-delay ${r.test.delay} --test-positive ${r.test.positive}` : '--test-delay 0')],
];

/** The settings `asked` gives otherwise than `saved`, as "--people 500 (this run: 1000)"; the seed only when given. */
export function differences(saved: RunSettings, asked: RunSettings, seedGiven: boolean): string[] {
  return FLAGS.filter(([name]) => name !== 'seed' || seedGiven).flatMap(([, flag]) =>
    flag(saved) === flag(asked) ? [] : [`${flag(saved)} (this run: ${flag(asked)})`],
  );
}

export interface Resume {
  /** The first tick to send. */
  from: number;
  /**
   * People of tick `from` already on the topic: ids 1 to this (a tick's batch is sent in id order, and
   * `--limit` cut it after them). The run sends the rest of that tick; absent, all of it.
   */
  sentThrough?: number;
  /** The seed to simulate with: the run's on the topic, else this one's. */
  seed: number;
}

/**
 * The tick to start at: after the newest the topic holds (a demo run again in its folder went on at tick 0,
 * and the pipeline, its watermark at tick 758, dropped every tick in silence), with the seed of the run
 * that wrote it. Undefined when an earlier bounded run ended the input: its pipeline closed every tick for
 * good, and nothing after it can count. Throws RUN_SETTINGS_CHANGED when `asked` differs from that run's.
 */
export async function resumeRun(
  ctx: SourceContext,
  asked: RunSettings,
  o: { seedGiven: boolean; ticks: number | undefined },
): Promise<Resume | undefined> {
  const topic = ctx.destination?.topic ?? 'the topic';
  const newest = ((await ctx.newest?.()) ?? []).flatMap((v) => {
    const p = positionSchema.safeParse(v);
    return p.success ? [p.data] : [];
  });
  if (newest.length === 0) {
    if (!o.seedGiven)
      ctx.log.info(
        `stopcovid: seed ${asked.seed} (drawn: no --seed), kept with the ticks on ${topic}: a restart goes on with it`,
      );
    return { from: 0, seed: asked.seed };
  }
  const last = Math.max(...newest.map((p) => p.tick));
  // Each partition's newest records carry the mark; a kill -9 on Kafka between a tick's partitions may leave
  // a partition's share of one tick after it, so the look-back covers a whole tick of everyone and more.
  const marks = ((await ctx.runMarks?.(Math.max(10_000, 2 * asked.people))) ?? []).flatMap((t) => {
    const m = parseMark(t);
    return m ? [m] : [];
  });
  const saved = marks.length > 0 ? marks.reduce((a, b) => (b.tick > a.tick ? b : a)) : undefined;
  if (newest.some((p) => p.end)) {
    // Settings asked for that differ are said too: `--people 600` after a finished run of 500 was ignored
    // with no word of it.
    const { tick: _, ...settings } = saved ?? { tick: 0 };
    const diff = saved ? differences(settings as RunSettings, asked, o.seedGiven) : [];
    ctx.log.warn(
      `stopcovid: this broker holds a finished run (ticks 0 to ${last - 1}, then its end)` +
        (diff.length > 0 ? ` with other settings than this run's: ${diff.join(', ')}. Its` : ': its') +
        ' pipeline has closed every tick, so nothing is simulated; start afresh with another --broker and --data-dir',
    );
    return undefined;
  }
  const seed = saved && !o.seedGiven ? saved.seed : asked.seed;
  const on = `stopcovid: ticks 0 to ${last} are on the topic already`;
  if (!saved) {
    // A topic written before runs kept their settings: nothing to check against, nor a seed to go on with.
    ctx.log.warn(
      `stopcovid: ${topic} holds ticks 0 to ${last} of a run that kept no seed nor settings (an older runnel): ` +
        (o.seedGiven
          ? `going on with --seed ${seed} as given, unchecked`
          : `going on with a new seed ${seed}, so people go on from other places; give that run's --seed to go on exactly, or start afresh with another --broker and --data-dir`),
    );
  } else {
    const { tick: _, ...settings } = saved;
    const diff = differences(settings, asked, o.seedGiven);
    if (diff.length > 0)
      throw new RunnelError(
        ErrorCodes.RUN_SETTINGS_CHANGED,
        `stopcovid: ${topic} holds ticks 0 to ${last} of a simulation with other settings: ${diff.join(', ')}. ` +
          'To go on with it, give its settings (--seed may be left out); to start afresh, use another --broker ' +
          'and --data-dir (on Kafka: another STOPCOVID_TOPIC and RUNNEL_APP_ID, and another --data-dir)',
      );
  }
  const seedSaid = saved && !o.seedGiven ? ` with the run's saved seed ${seed}` : '';
  // Each partition's newest record is the highest id it holds of its newest tick: the highest of those of
  // tick `last` is where a cut tick stopped. Without this, a run cut mid-tick by --limit went on with the
  // next tick and that tick stayed short of the people after the cut for good.
  const sentThrough = Math.max(...newest.filter((p) => p.tick === last).map((p) => p.id));
  if (sentThrough < asked.people) {
    ctx.log.info(`${on}, tick ${last} up to person ${sentThrough}: going on with person ${sentThrough + 1}${seedSaid}`);
    return { from: last, sentThrough, seed };
  }
  if (o.ticks !== undefined && last + 1 >= o.ticks) ctx.log.info(`${on} (--ticks ${o.ticks}): ending the run`);
  else ctx.log.info(`${on}: going on from tick ${last + 1}${seedSaid}`);
  return { from: last + 1, seed };
}
