import { z } from 'zod';

export const csvSchema = z
  .strictObject({
    path: z.string().min(1),
    /** Column holding event time; zone-less values such as `2025-01-01 15:00:00` are read as UTC. */
    timestampColumn: z.string().min(1).default('timestamp'),
    /**
     * Column types; columns not listed are numbers when their first value is, else strings. A file whose
     * header lacks a listed column is refused at start, unless its type ends in `?` (`'string?'`: typed
     * when the file has it, and the file may not).
     */
    columns: z
      .record(
        z.string(),
        z.enum(['number', 'integer', 'string', 'boolean', 'number?', 'integer?', 'string?', 'boolean?']),
      )
      .optional(),
    /** Column whose value becomes the record key. */
    key: z.string().optional(),
    /** Fixed-rate replay, records per second; 0 = as fast as possible. */
    rate: z.number().min(0).optional(),
    /** Replay by event time, this many times faster than it happened (60 = a minute per second). */
    speed: z.number().positive().optional(),
    /** Start again at the top after the last row. */
    loop: z.boolean().default(false),
  })
  .refine((c) => c.rate === undefined || c.speed === undefined, {
    message: 'give rate or speed, not both',
    path: ['speed'],
  });
export type CsvConfig = z.infer<typeof csvSchema>;
