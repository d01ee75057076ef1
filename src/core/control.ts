import { z } from 'zod';
import { sleep } from './backoff.ts';
import { type Broker, produceAll } from './broker.ts';
import { type Logger, silentLogger } from './log.ts';
import { MAX_SPEED, type ReplayControl } from './replay-control.ts';

/**
 * Commands to running pipelines (pause, resume, speed of a replaying source) travel on this topic, so the
 * dashboard reaches a pipeline in any process on the broker, as `_runnel.status` carries status the other way.
 */
export const CONTROL_TOPIC = '_runnel.control';
/** Commands matter only to pipelines running when they are sent: every pipeline follows from the end. */
export const CONTROL_RETENTION_MS = 10 * 60_000;
/** How often a pipeline looks for commands: a click applies within this (plus the status round trip). */
const FOLLOW_INTERVAL_MS = 100;

export const controlCommandSchema = z
  .strictObject({
    app: z.string().min(1).max(200),
    /** One running pipeline (ComponentStatus.pipeline); absent: every pipeline of the app. */
    pipeline: z.string().min(1).max(100).optional(),
    /** The source's name, as its status shows it (`csv`, `generator`). */
    source: z.string().min(1).max(200),
    command: z.enum(['pause', 'resume', 'speed']),
    speed: z.number().positive().max(MAX_SPEED).optional(),
  })
  .refine((c) => (c.command === 'speed') === (c.speed !== undefined), {
    message: 'speed is given with the command "speed", and only with it',
    path: ['speed'],
  });
export type ControlCommand = z.infer<typeof controlCommandSchema>;

/** Sends one command; the pipelines it names apply it within about FOLLOW_INTERVAL_MS. */
export async function sendControl(broker: Broker, command: ControlCommand): Promise<void> {
  await broker.createTopic(CONTROL_TOPIC, { retentionMs: CONTROL_RETENTION_MS });
  // A few seconds of retries: a dropped connection or a moving leader fails one attempt, not the command.
  await produceAll(broker, CONTROL_TOPIC, [{ key: command.app, value: command, timestamp: Date.now() }], 'control', {
    signal: AbortSignal.timeout(10_000),
    log: silentLogger,
  });
}

const DONE = { pause: 'paused', resume: 'resumed', speed: 'speed' } as const;

export function applyControl(control: ReplayControl, c: ControlCommand): void {
  if (c.command === 'pause') control.pause();
  else if (c.command === 'resume') control.resume();
  else if (c.speed !== undefined) control.setSpeed(c.speed);
}

export interface ControlTarget {
  app: string;
  pipeline: string;
  /** This pipeline's controllable sources by name (several sources may share one). */
  sources: Map<string, ReplayControl[]>;
}

/**
 * Follows the control topic from its end (with `broker.read`: no consumer group, nothing to commit or
 * rebalance) and applies the commands addressed to this pipeline's sources. Best effort, like status:
 * a broker hiccup is retried at the next look; a malformed command is skipped.
 */
export async function followControl(
  broker: Broker,
  target: ControlTarget,
  signal: AbortSignal,
  log: Logger,
  intervalMs = FOLLOW_INTERVAL_MS,
): Promise<void> {
  const next = new Map<number, number>();
  let ready = false;
  while (!signal.aborted) {
    try {
      if (!ready) {
        await broker.createTopic(CONTROL_TOPIC, { retentionMs: CONTROL_RETENTION_MS });
        for (const p of (await broker.describeTopic(CONTROL_TOPIC))?.partitions ?? [])
          next.set(p.partition, p.endOffset);
        ready = true;
      }
      for (const [partition, from] of next) {
        const records = await broker.read(CONTROL_TOPIC, partition, from, 100);
        for (const r of records) {
          next.set(partition, r.offset + 1);
          const parsed = controlCommandSchema.safeParse(r.value);
          if (!parsed.success) continue;
          const c = parsed.data;
          if (c.app !== target.app || (c.pipeline !== undefined && c.pipeline !== target.pipeline)) continue;
          const controls = target.sources.get(c.source) ?? [];
          for (const control of controls) applyControl(control, c);
          if (controls.length > 0)
            log.info(`${c.source}: ${DONE[c.command]}${c.speed === undefined ? '' : ` ×${c.speed}`}`);
        }
      }
    } catch (err) {
      log.debug(`control topic: ${(err as Error).message}`);
    }
    await sleep(intervalMs, signal);
  }
}
