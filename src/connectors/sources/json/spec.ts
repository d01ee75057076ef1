import { z } from 'zod';

export const jsonSchema = z.strictObject({
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
});
export type JsonConfig = z.infer<typeof jsonSchema>;
