import { z } from 'zod';

export const jsonSchema = z
  .strictObject({
    /** A JSONL file (one JSON value a line) or a JSON array file (first character `[`). */
    path: z.string().min(1),
    /** Keep reading as the file grows, like `tail -F` (JSONL only): survives truncation and rotation. */
    follow: z.boolean().default(false),
    /** Field whose value becomes the record key. */
    key: z.string().optional(),
    /** Field holding event time (ISO, `YYYY-MM-DD HH:MM:SS` as UTC, or epoch s/ms); default: arrival time. */
    timestampField: z.string().optional(),
    /** Safety-net poll interval in follow mode (fs.watch wakes it sooner). */
    pollMs: z.number().int().positive().default(250),
    /** Replay a whole file at this many records per second (0 = as fast as possible); not with follow. */
    rate: z.number().min(0).optional(),
    /** Replay a whole file by event time (timestampField), this many times faster than it happened. */
    speed: z.number().positive().optional(),
  })
  .refine((c) => c.rate === undefined || c.speed === undefined, {
    message: 'give rate or speed, not both',
    path: ['speed'],
  })
  .refine((c) => !c.follow || (c.rate === undefined && c.speed === undefined), {
    message: 'a followed file is read as it grows: rate and speed replay a whole file',
    path: ['follow'],
  })
  .refine((c) => c.speed === undefined || c.timestampField !== undefined, {
    message: 'replaying by event time needs timestampField',
    path: ['timestampField'],
  });
export type JsonConfig = z.infer<typeof jsonSchema>;
