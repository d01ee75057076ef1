import type { StreamRecord, TopicPartitionOffset } from '../../core/record.ts';

/** A position a sink's table holds: the next offset of a partition it wrote, and the id of the topic then. */
export interface HeldPosition {
  topic: string;
  partition: number;
  offset: number;
  topicId: string | null;
}

/**
 * `rows` without those below the position their target holds for their partition, read in the batch's own
 * transaction: a batch written again (a replay after a rebalance, a retry) stores nothing twice, and one
 * of a worker that stalled past its membership puts no old value back over what the partition's new owner
 * wrote. A position kept for another topic of that name (deleted and created again) says nothing about
 * this one. The SQL sinks share this rule; each reads `held` its own way.
 */
export function notStored<T>(
  rows: T[],
  recordOf: (row: T) => StreamRecord,
  held: HeldPosition[],
  positions: TopicPartitionOffset[],
): T[] {
  if (rows.length === 0 || held.length === 0) return rows;
  const from = new Map<string, Map<number, number>>();
  for (const h of held) {
    const p = positions.find((x) => x.topic === h.topic && x.partition === h.partition);
    if (!p || !sameTopic(h, p)) continue;
    const partitions = from.get(h.topic) ?? new Map<number, number>();
    from.set(h.topic, partitions);
    partitions.set(h.partition, h.offset);
  }
  if (from.size === 0) return rows;
  const fresh = (row: T) => {
    const r = recordOf(row);
    return r.offset >= (from.get(r.topic)?.get(r.partition) ?? 0);
  };
  return rows.every(fresh) ? rows : rows.filter(fresh);
}

/**
 * Whether a held position is of the topic a batch's position is of: one deleted and created again under
 * that name is another, and a position without an id (written before ids were kept) says nothing against.
 */
export function sameTopic(held: HeldPosition, p: TopicPartitionOffset): boolean {
  return held.topicId === null || p.topicId === undefined || held.topicId === p.topicId;
}
