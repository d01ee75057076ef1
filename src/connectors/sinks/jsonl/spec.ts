import { z } from 'zod';

/** `path`: the JSONL file (parents created). `fsync`: flush to disk before recording positions (default true). */
export const jsonlSinkSchema = z.strictObject({
  path: z.string().min(1),
  fsync: z.boolean().default(true),
});
