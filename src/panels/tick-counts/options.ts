import { z } from 'zod';

/**
 * `tick-counts`: how many records fall on each value of a whole-number field (`fields.x`, the tick), per
 * series; each series counts the records of a topic (default the panel's), optionally only those whose
 * `field` equals `equals`, or adds up a field of each (`sum`: partial counts a pipeline wrote per tick). Drawn as a stacked area (`stacked`: the parts of a whole, the status counts) or
 * as lines (contacts and notifications). Options:
 */
export const tickCountsOptions = z.strictObject({
  series: z
    .array(
      z.strictObject({
        label: z.string(),
        color: z.string().optional(),
        topic: z.string().optional(),
        field: z.string().optional(),
        equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
        /** Adds up this numeric field instead of counting records (a topic of per-tick summaries). */
        sum: z.string().optional(),
      }),
    )
    .min(1),
  stacked: z.boolean().default(false),
  /** Ticks shown: the last N up to the newest. */
  last: z.number().int().positive().max(10_000).default(300),
  xLabel: z.string().optional(),
  yLabel: z.string().optional(),
});
export type TickCountsOptions = z.infer<typeof tickCountsOptions>;

export interface TickCountsData {
  /** The ticks with any record, ascending. */
  xs: number[];
  /** Per series, its count at each of `xs`. */
  counts: number[][];
  /** Records counted so far, per series. */
  totals: number[];
}
