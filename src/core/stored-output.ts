import type { TopicInfo } from './broker.ts';
import type { TopicPartitionOffset } from './record.ts';

/** What to do about output that belongs to another stream: the same words wherever it is refused. */
export const FRESH_START = 'start fresh with another --data-dir, or remove that output';

/**
 * Why output that keeps its own positions (an exactly-once sink) cannot resume on `topic` as this broker
 * has it, or undefined when it can. Resuming output written from another broker, or from an earlier
 * topic of the same name, would skip records or mix two streams in one file without a word.
 */
export function foreignOutput(
  topic: string,
  info: TopicInfo | undefined,
  held: TopicPartitionOffset[],
  brokerUrl: string,
): string | undefined {
  const mine = held.filter((p) => p.topic === topic);
  if (!info) {
    return mine.some((p) => p.offset > 0)
      ? `holds records of ${topic}, which ${brokerUrl} does not have: written from another broker`
      : undefined;
  }
  const other = mine.find((p) => p.topicId !== undefined && info.id !== undefined && p.topicId !== info.id);
  if (other) {
    return (
      `holds ${topic} from another broker, or from a ${topic} since deleted and created again ` +
      `(topic id ${other.topicId}; ${brokerUrl} has ${info.id})`
    );
  }
  for (const p of info.partitions) {
    const at = mine.find((h) => h.partition === p.partition)?.offset;
    // Offsets never go back on one broker: output ahead of the log came from another one (or a reset).
    if (at !== undefined && at > p.endOffset) {
      return (
        `holds ${topic}/${p.partition} up to offset ${at}, but that partition on ${brokerUrl} ends at ` +
        `${p.endOffset}: written from another broker (or this one was reset)`
      );
    }
  }
  return undefined;
}
