import { z } from 'zod';

/** `cumulative`: records so far over event time, from offsets (exact, whatever the page skipped). Options: */
export const cumulativeOptions = z.strictObject({
  yLabel: z.string().optional(),
  color: z.string().optional(),
});
export type CumulativeOptions = z.infer<typeof cumulativeOptions>;
