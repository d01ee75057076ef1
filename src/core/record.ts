/** Header values are strings, as in Kafka (which carries bytes; we keep them UTF-8). */
export type RecordHeaders = Record<string, string>;

/**
 * The header of a watermark marker: a record with no key and no value that only carries a processing
 * step's watermark (repartition topics, and topics written with carryWatermark). Sinks skip them.
 */
export const WATERMARK_HEADER = 'runnel.watermark';

/** A record as stored on a topic. `timestamp` is event time in ms since the epoch. */
export interface StreamRecord<V = unknown> {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: V;
  timestamp: number;
  headers: RecordHeaders;
}

/** What a producer hands the broker; the broker assigns partition (by key) and offset. */
export interface OutgoingRecord<V = unknown> {
  key?: string | null;
  value: V;
  /** Event time in ms; defaults to now. */
  timestamp?: number;
  headers?: RecordHeaders;
  /** Forces a partition; otherwise chosen by key hash (or round-robin without a key). */
  partition?: number;
}

/** Where a record landed after a durable produce. */
export interface RecordPosition {
  topic: string;
  partition: number;
  offset: number;
}

/** A consumer position: `offset` is the next offset to read, as in Kafka's committed offsets. */
export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
  /** TopicInfo.id of the topic the offset belongs to, when known (exactly-once sinks store it). */
  topicId?: string;
}

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
