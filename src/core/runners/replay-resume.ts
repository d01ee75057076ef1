import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Broker, newestMatching, type ProduceOptions, produceAll } from '../broker.ts';
import type { ReplayInput } from '../connector.ts';
import { dlqTopic } from '../dlq.ts';
import type { Logger } from '../log.ts';
import type { OutgoingRecord, StreamRecord } from '../record.ts';
import type { RetryOptions } from '../retry.ts';

/**
 * The header that says how far a replay got: on the last record of each batch a replaying source produced
 * (or on its last dead letter, for a batch of dead letters only), `{"input": <file>, "items": <items of the
 * file handled through this batch>, "bytes": <file size>, "run": <when that run started>}`. The count
 * lives with the records it counts, written after them, so a crash can repeat a batch but never count one
 * that is not on the topic.
 */
export const REPLAY_HEADER = 'runnel.replay';

/** Records looked at per step back from a partition's end, and at most in all, for its newest mark. */
const LOOK_BACK = { step: 200, limit: 5000 };

interface Mark {
  input: string;
  items: number;
  bytes: number;
  run: number;
}

let lastRunStart = 0;

/**
 * A run's start for its marks (see BatchMark.run): the clock, but later than any run this process started
 * before. Two runs of one process in one millisecond (tests run them back to back) were the same run, and
 * the next one went on from the wrong one's count.
 */
export function newRunStart(): number {
  lastRunStart = Math.max(Date.now(), lastRunStart + 1);
  return lastRunStart;
}

/** A file's ReplayInput (see Source.replay): its absolute path and its size now; undefined while it is missing. */
export function fileReplay(path: string): ReplayInput | undefined {
  return existsSync(path) ? { input: resolve(path), bytes: statSync(path).size } : undefined;
}

/** What a replaying source's batch says of its place in the input (see REPLAY_HEADER). */
export interface BatchMark {
  replay: ReplayInput;
  /** Items of the input handled through this batch. */
  through: number;
  /** When this run started (ms): the newest run's marks are the ones a later run goes on from. */
  run: number;
}

/**
 * Produces a source's batch: its good records on `topic`, its dead letters on `<topic>.dlq`, the dead letters
 * first (a run mark on the records vouches for them too). With a mark, in the order that keeps it honest:
 * the dead letters first, then the records, the last one marked. On a
 * broker that writes a call in several requests (Kafka) the marked record goes on its own once the rest
 * is acknowledged; on one that writes a call whole (local) with them. A crash in between repeats the
 * batch's dead letters (or, on Kafka, its records) on the next run; it never skips any.
 */
export async function produceBatch(
  broker: Broker,
  topic: string,
  /** `runMarked`: the records of `good` that carry the source's run mark (see markPartitionEnds). */
  batch: { good: OutgoingRecord[]; bad: OutgoingRecord[]; runMarked?: Set<OutgoingRecord> },
  mark: BatchMark | undefined,
  what: string,
  retry: RetryOptions,
  options: ProduceOptions,
): Promise<void> {
  const { good, bad } = batch;
  if (!mark) {
    // The dead letters first here too: a source's run mark (see Source.runMark) on the records says where
    // the next run goes on, past this batch's dead letters as well, so they must be durable before it.
    await produceAll(broker, dlqTopic(topic), bad, what, retry);
    // Kafka writes a call in several requests (by size, by leader): a run mark that landed before the rest of
    // its batch said the next run goes on past records a kill -9 then lost. The marked records (each the last
    // of its partition in the batch, so the order per partition holds) go once the rest is acknowledged.
    const last = broker.atomicProduce ? undefined : batch.runMarked;
    await produceAll(broker, topic, last?.size ? good.filter((r) => !last.has(r)) : good, what, retry, options);
    if (last?.size) await produceAll(broker, topic, [...last], what, retry, options);
    return;
  }
  if (good.length === 0) {
    if (bad.length > 0) await produceAll(broker, dlqTopic(topic), withMark(bad, mark), what, retry);
    return;
  }
  await produceAll(broker, dlqTopic(topic), bad, what, retry);
  if (broker.atomicProduce) {
    await produceAll(broker, topic, withMark(good, mark), what, retry, options);
    return;
  }
  await produceAll(broker, topic, good.slice(0, -1), what, retry, options);
  await produceAll(broker, topic, withMark(good.slice(-1), mark), what, retry, options);
}

/** `records` with the last one carrying the mark. */
function withMark(records: OutgoingRecord[], mark: BatchMark): OutgoingRecord[] {
  const last = records[records.length - 1]!;
  const m: Mark = { input: mark.replay.input, items: mark.through, bytes: mark.replay.bytes, run: mark.run };
  const marked = { ...last, headers: { ...last.headers, [REPLAY_HEADER]: JSON.stringify(m) } };
  return [...records.slice(0, -1), marked];
}

/**
 * How many items of `replay`'s input the newest run that marked it made durable on `topic` or its
 * dead-letter topic (0 when none did, the file has shrunk since: another file under the same name, or
 * `fromStart`), said in one line when an earlier run had replayed some. The newest run, not the furthest: after `--from-start --limit 5` the next run
 * goes on after those 5, and after a shrunk file was replayed whole the next run goes on after it.
 */
export async function replayedItems(
  broker: Broker,
  topic: string,
  replay: ReplayInput,
  log: Logger,
  name: string,
  o: { fromStart?: boolean; run?: number } = {},
): Promise<number> {
  const fromStart = o.fromStart === true;
  const best = newestRun([
    ...(await newestMarks(broker, topic, replay.input)),
    ...(await newestMarks(broker, dlqTopic(topic), replay.input)),
  ]);
  const latest = newestRun(await newestMarks(broker, topic));
  // Not when this input was part of that newest run, nor when that run is this one (a sibling source of this
  // pipeline got there first): an app with two replays onto one topic would hear it at every start.
  const sibling = latest !== undefined && (latest.run === o.run || (best !== undefined && best.run >= latest.run));
  if (latest && latest.input !== replay.input && !sibling) {
    // A user's own --csv after the demo's sample: its readings went after the sample's on one topic, and the
    // stall detector ended the sample's stall with a reading of the other file, in silence.
    log.warn(
      `${name}: ${topic} holds records replayed from ${latest.input}, the newest there; those of ${replay.input} ` +
        'go after them, and processors take them as one stream (event time going back is late for windows). ' +
        'For a run of its own, give it its own topic and RUNNEL_APP_ID',
    );
  }
  if (!best) return 0;
  if (fromStart) {
    log.info(
      `${name}: --from-start: replaying ${replay.input} from its start; the ${best.items} record(s) an earlier ` +
        `run replayed go to ${topic} (and its sinks) again`,
    );
    return 0;
  }
  if (replay.bytes < best.bytes) {
    log.warn(
      `${name}: ${replay.input} is smaller than when an earlier run replayed ${best.items} item(s) of it ` +
        `(${replay.bytes} bytes, then ${best.bytes}): it is another file, replayed from its start`,
    );
    return 0;
  }
  log.info(
    `${name}: an earlier run replayed the first ${best.items} record(s) of ${replay.input} onto ${topic}; ` +
      'going on after them (--from-start replays the whole file again)',
  );
  return best.items;
}

/**
 * Each partition's newest mark of `input` (of any input without one): marks within a partition are in the order their runs wrote them.
 * Other writers of the topic (a processor's dead letters on `<topic>.dlq`) may stand after it.
 */
async function newestMarks(broker: Broker, topic: string, input?: string): Promise<Mark[]> {
  const ofInput = (r: StreamRecord) => {
    const m = parseMark(r.headers[REPLAY_HEADER]);
    return m !== undefined && (input === undefined || m.input === input);
  };
  return (await newestMatching(broker, topic, ofInput, LOOK_BACK)).map((r) => parseMark(r.headers[REPLAY_HEADER])!);
}

/** The mark of the newest run among `marks`; of that run's, the furthest (its topic's or its .dlq's). */
function newestRun(marks: Mark[]): Mark | undefined {
  let newest: Mark | undefined;
  for (const m of marks) {
    if (!newest || m.run > newest.run || (m.run === newest.run && m.items > newest.items)) newest = m;
  }
  return newest;
}

function parseMark(text: string | undefined): Mark | undefined {
  if (text === undefined) return undefined;
  try {
    const m = JSON.parse(text) as Partial<Mark>;
    const whole = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
    return typeof m.input === 'string' && whole(m.items) && whole(m.bytes) && whole(m.run) ? (m as Mark) : undefined;
  } catch {
    // A header of this name someone else wrote: not ours to read.
    return undefined;
  }
}
