import { z } from 'zod';
import type { RecordView } from '../../server/protocol.ts';

/** `table`: the latest records of the topic, `fields.columns` of each (or the whole value). Options: */
export const tableOptions = z.strictObject({
  rows: z.number().int().positive().max(1000).default(10),
  /** The record's time of day as the first column; off when a column already says when (oura's `day`). */
  time: z.boolean().default(true),
});
export type TableOptions = z.infer<typeof tableOptions>;

export type TableData = { kind: 'table'; rows: RecordView[] };
