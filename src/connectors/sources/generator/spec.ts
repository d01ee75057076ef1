import { z } from 'zod';

export const generatorSchema = z.strictObject({
  /** Same seed → same messages. Default: random. */
  seed: z.number().int().optional(),
  /** Records per second; 0 = as fast as possible. */
  rate: z.number().min(0).default(1),
  /** Stop after this many records (default: never). */
  count: z.number().int().min(0).optional(),
  authors: z.array(z.string().min(1)).min(1).optional(),
});
export type GeneratorConfig = z.infer<typeof generatorSchema>;
