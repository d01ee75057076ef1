import type { Broker } from '../broker.ts';
import type { ReplayInput } from '../connector.ts';
import { dlqTopic } from '../dlq.ts';
import type { Logger } from '../log.ts';
import type { OutgoingRecord } from '../record.ts';

/**
 * The header that says how far a replay got: on the last record of each batch a replaying source produced
 * (and on its batch's last dead letter), `{"input": <file>, "items": <items handled through this one>,
 * "bytes": <file size>}`. The count lives with the records it counts, in the same write, so a crash
 * can neither count a batch that is not on the topic nor forget one that is (on the local broker; on Kafka,
 * a batch whose write failed half-way is sent again in full by the next run, at-least-once).
 */
export const REPLAY_HEADER = 'runnel.replay';

/**
 * How far back from each partition's end the header is looked for: the last record of the last batch is a
 * partition's newest one, unless something else writes the topic too (a processor's dead letters on
 * `<topic>.dlq`, transaction markers on Kafka).
 */
const LOOK_BACK = 200;

interface Mark {
  input: string;
  items: number;
  bytes: number;
}

/** `record` carrying the replay's position: items handled through it, out of `replay`. */
export function marked(record: OutgoingRecord, replay: ReplayInput, items: number): OutgoingRecord {
  const mark: Mark = { input: replay.input, items, bytes: replay.bytes };
  return { ...record, headers: { ...record.headers, [REPLAY_HEADER]: JSON.stringify(mark) } };
}

/**
 * How many items of `replay`'s input an earlier run made durable on `topic` or its dead-letter topic (0 when
 * none did, or the file has shrunk since: another file under the same name), said in one line when > 0.
 */
export async function replayedItems(
  broker: Broker,
  topic: string,
  replay: ReplayInput,
  log: Logger,
  name: string,
): Promise<number> {
  let best: Mark | undefined;
  for (const t of [topic, dlqTopic(topic)]) {
    for (const mark of await marksOn(broker, t)) {
      if (mark.input === replay.input && mark.items > (best?.items ?? 0)) best = mark;
    }
  }
  if (!best) return 0;
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

async function marksOn(broker: Broker, topic: string): Promise<Mark[]> {
  const info = await broker.describeTopic(topic);
  const marks: Mark[] = [];
  for (const p of info?.partitions ?? []) {
    const from = Math.max(p.startOffset, p.endOffset - LOOK_BACK);
    if (from >= p.endOffset) continue;
    for (const r of await broker.read(topic, p.partition, from, p.endOffset - from)) {
      const mark = parseMark(r.headers[REPLAY_HEADER]);
      if (mark) marks.push(mark);
    }
  }
  return marks;
}

function parseMark(text: string | undefined): Mark | undefined {
  if (text === undefined) return undefined;
  try {
    const m = JSON.parse(text) as Partial<Mark>;
    const whole = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
    return typeof m.input === 'string' && whole(m.items) && whole(m.bytes) ? (m as Mark) : undefined;
  } catch {
    // A header of this name someone else wrote: not ours to read.
    return undefined;
  }
}
