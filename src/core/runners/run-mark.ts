import { type Broker, newestMatching } from '../broker.ts';
import { fixedPartition } from '../partitioner.ts';
import type { OutgoingRecord } from '../record.ts';

/**
 * The header a source's run mark travels in (see Source.runMark): what a later run needs to go on with
 * this one, kept with the records it describes, so it is as durable as they are and goes where they go
 * (another broker, another data folder: another run).
 */
export const RUN_HEADER = 'runnel.run';

/** Offsets read per step back from a partition's end when looking for its newest mark. */
const STEP = 200;

/**
 * `records` with the last one of each partition they go to carrying `mark`, and which of the returned
 * records those are (see produceBatch): a partition's newest record then always has it, however many
 * partitions the batch spreads over. The partition is the brokers' own rule (key hash, or the record's
 * own); a record with neither (round-robin) could land anywhere, so the batch's last record is marked as well.
 */
export function markPartitionEnds(
  records: OutgoingRecord[],
  partitions: number,
  mark: string,
): { records: OutgoingRecord[]; marked: Set<OutgoingRecord> } {
  const out = records.slice();
  const marked = new Set<OutgoingRecord>();
  const seen = new Set<number>();
  for (let i = out.length - 1; i >= 0 && seen.size < partitions; i--) {
    const r = out[i]!;
    const p = fixedPartition(r, partitions);
    if (p !== undefined && seen.has(p)) continue;
    if (p !== undefined) seen.add(p);
    if (p === undefined && i !== out.length - 1) continue;
    out[i] = { ...r, headers: { ...r.headers, [RUN_HEADER]: mark } };
    marked.add(out[i]!);
  }
  return { records: out, marked };
}

/** The newest mark of each partition of `topic`, looked for at most `within` offsets back (see SourceContext.runMarks). */
export async function newestRunMarks(broker: Broker, topic: string, within: number): Promise<string[]> {
  const marked = await newestMatching(broker, topic, (r) => r.headers[RUN_HEADER] !== undefined, {
    step: Math.max(1, Math.min(STEP, within)),
    limit: within,
  });
  return marked.map((r) => r.headers[RUN_HEADER]!);
}
