import type { StreamRecord } from '../../src/core/record.ts';

/** A record as a consumer hands it over (partition 0, time 0, no key), for aggregator and sink tests. */
function record(topic: string, offset: number, value: unknown, over: Partial<StreamRecord> = {}): StreamRecord {
  return { topic, partition: 0, offset, key: null, value, timestamp: 0, headers: {}, ...over };
}

/** A maker of records for one topic at consecutive offsets from 0. */
export function recordsOn(topic: string): (value: unknown, over?: Partial<StreamRecord>) => StreamRecord {
  let offset = 0;
  return (value, over) => record(topic, offset++, value, over);
}

let next = 0;
/** One record at the next offset of a counter shared by every topic (offsets only ever grow). */
export const streamRecord = (topic: string, value: unknown): StreamRecord => record(topic, next++, value);
