import { sleep } from '../backoff.ts';
import { type Broker, visibleEndOffsets } from '../broker.ts';
import type { Logger } from '../log.ts';
import { retrying } from '../retry.ts';
import type { Paced } from './backlog.ts';
import { TaskRunner } from './task-runner.ts';

/** What a drain that was to end the input did (see RunOptions.final). */
export interface InputEnd {
  /** Every processor's input ended here, for good: its windows and timers all closed. */
  ended: boolean;
  /** Why it did not, when it did not (one clause, said to the user). */
  reason?: string;
  /** Tasks this end closed; 0 when every one had ended already (an earlier bounded run). */
  closed: number;
  /** Whether an ended task keeps windows or timers: only then do later records go to `.late`. */
  timed: boolean;
  /** Stateful steps whose input ended here (0: the app has none, or the end was refused before any). */
  steps: number;
  /** Not ended, but some steps were: a worker joined between them (see drain). */
  partial?: true;
}

/**
 * Whether (or why not) to end the input, asked once every processor caught up: `true` for a bounded run's
 * end; a function answering undefined to go on, or the reason not to, for `consume --final`.
 */
export type Ending = boolean | (() => Promise<string | undefined>);

/** How long a final drain waits for its processors to be dealt every partition (a Kafka group's rebalance). */
const FINAL_ASSIGNMENT_MS = 20_000;

/**
 * Processors first, in order (their outputs feed later stages), then sinks: each up to the end offsets.
 * When `ending` says so, each processor's input then ends for good, stage by stage, so an end marker a
 * stage writes to a repartition topic is on it before the next stage's targets are read.
 */
export async function drain(
  broker: Broker,
  processors: Paced[],
  sinks: Paced[],
  signal: AbortSignal,
  log: Logger,
  ending: Ending = false,
): Promise<InputEnd> {
  try {
    return await drainAll(broker, processors, sinks, signal, log, ending);
  } catch (err) {
    // Stopped while the broker would not answer (Kafka gone, then Ctrl-C): a stop, not a failure. What the
    // consumers did not reach stays on the topics for the next run; a stopped run exited 1 with Kafka's error.
    if (signal.aborted) return { ended: false, reason: 'stopped', closed: 0, timed: false, steps: 0 };
    throw err;
  }
}

async function drainAll(
  broker: Broker,
  processors: Paced[],
  sinks: Paced[],
  signal: AbortSignal,
  log: Logger,
  ending: Ending,
): Promise<InputEnd> {
  await settle(broker, processors, signal, log);
  const asked = typeof ending === 'function';
  const reason = asked && !signal.aborted ? await ending() : undefined;
  const end: InputEnd = { ended: asked ? reason === undefined : ending, closed: 0, timed: false, steps: 0 };
  if (reason !== undefined) end.reason = reason;
  for (const stage of [processors, sinks]) {
    for (const { loop, inputs } of stage) {
      // A broker blip while asking where the topics end is waited out, like the consumers' own polls.
      const targets = await retrying(
        `drain: end of ${inputs.join(', ')}`,
        () => visibleEndOffsets(broker, inputs, signal),
        { signal, log, letGoOnStop: true },
      );
      while (!signal.aborted && !loop.caughtUp(targets)) {
        await sleep(20, signal);
        await loop.refreshFromGroup?.();
      }
      if (!end.ended || !(loop instanceof TaskRunner) || signal.aborted) continue;
      // Asked, not a run's own end: every partition's task ends in one commit, or none does (endOfInput).
      const byTopic = asked ? await partitionsOf(broker, inputs, signal, log) : undefined;
      const whole = byTopic && [...new Set([...byTopic.values()].flat())].sort((a, b) => a - b);
      const done = await Promise.race([
        loop.endOfInput(whole),
        new Promise<undefined>((r) => signal.addEventListener('abort', () => r(undefined), { once: true })),
      ]);
      if (!done) continue;
      // A worker that joined after the check took some partitions (the end was refused, or its commit
      // fenced): this step's windows stay open, and so do every later step's, which would otherwise close
      // windows those partitions still feed. Steps ended before it stay ended.
      const missing = byTopic && firstNotHeld(byTopic, done.partitions);
      if (missing) {
        end.ended = false;
        if (end.steps > 0) end.partial = true;
        end.reason = `a worker that joined meanwhile took ${partitionList(missing)}`;
        continue;
      }
      end.steps++;
      end.closed += done.closed;
      end.timed ||= done.timed;
    }
  }
  return end;
}

/** Each topic's partition numbers, read once for the end and the check after it. */
async function partitionsOf(
  broker: Broker,
  topics: string[],
  signal: AbortSignal,
  log: Logger,
): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const topic of topics) {
    const info = await retrying(`drain: partitions of ${topic}`, () => broker.describeTopic(topic), {
      signal,
      log,
      letGoOnStop: true,
    });
    out.set(
      topic,
      (info?.partitions ?? []).map((p) => p.partition),
    );
  }
  return out;
}

/** The first topic with partitions not among `held` (a task's partition is every input's), and those. */
function firstNotHeld(
  byTopic: Map<string, number[]>,
  held: number[],
): { topic: string; partitions: number[] } | undefined {
  const mine = new Set(held);
  for (const [topic, all] of byTopic) {
    const partitions = all.filter((p) => !mine.has(p));
    if (partitions.length > 0) return { topic, partitions };
  }
  return undefined;
}

/**
 * Undefined when this process's processors hold every partition of their inputs, so ending them is the end
 * of the whole input; else why not. Another worker's task may still write to a repartition topic a window
 * here reads, and a partition it holds would stay open: with several workers each would have to end its own
 * partitions once they reached the drain's targets, and downstream wait for every upstream end. A drain
 * with nothing new gets here before its group dealt it anything: it waits for that, up to
 * FINAL_ASSIGNMENT_MS (past a session timeout: a worker killed just before is dropped by then).
 */
export async function notHoldingEveryPartition(
  broker: Broker,
  processors: Paced[],
  signal: AbortSignal,
  log: Logger,
  waitMs = FINAL_ASSIGNMENT_MS,
): Promise<string | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    let missing: { topic: string; partitions: number[] } | undefined;
    for (const { loop, inputs } of processors) {
      const held = (loop.assigned?.() ?? []).map((h) => h.partition);
      missing ??= firstNotHeld(await partitionsOf(broker, inputs, signal, log), held);
    }
    if (!missing) return undefined;
    if (signal.aborted) return 'stopped';
    if (Date.now() >= deadline)
      return (
        `another worker holds ${partitionList(missing)} (only a worker holding every partition ends the input: ` +
        'stop the others, then run this again)'
      );
    await sleep(50, signal);
  }
}

function partitionList({ topic, partitions }: { topic: string; partitions: number[] }): string {
  return `${partitions.length === 1 ? 'partition' : 'partitions'} ${partitions.join(', ')} of ${topic}`;
}

/**
 * A topology with a feedback loop (a topic it writes and reads back) goes on producing after each step
 * caught up: before the drain goes stage by stage, every processor catches up until a round adds nothing.
 */
async function settle(broker: Broker, processors: Paced[], signal: AbortSignal, log: Logger): Promise<void> {
  const inputs = [...new Set(processors.flatMap((p) => p.inputs))];
  let before = '';
  for (;;) {
    const targets = await retrying(
      `drain: end of ${inputs.join(', ')}`,
      () => visibleEndOffsets(broker, inputs, signal),
      { signal, log, letGoOnStop: true },
    );
    const now = JSON.stringify(targets);
    if (now === before || signal.aborted) break;
    before = now;
    for (const { loop, inputs: mine } of processors) {
      const own = targets.filter((t) => mine.includes(t.topic));
      while (!signal.aborted && !loop.caughtUp(own)) await sleep(20, signal);
    }
  }
}
