import { z } from 'zod';

/**
 * `bar`: counts by name. `fields.y` a `{ name: count }` object in the latest record (a stats topic), or
 * `fields.group` to count raw records by a field. Options:
 */
export const barOptions = z.strictObject({
  /** Bars shown; the rest are summed into "(others)". */
  top: z.number().int().positive().default(12),
  xLabel: z.string().optional(),
  yLabel: z.string().optional(),
});
export type BarOptions = z.infer<typeof barOptions>;

/** Names and counts, largest first. */
export type CountsData = { kind: 'counts'; entries: Array<[string, number]>; total: number };
