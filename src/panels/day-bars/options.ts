import { z } from 'zod';

/**
 * `day-bars`: one bar per calendar day (or per `step` days: weeks), `fields.x` a `YYYY-MM-DD` field
 * (or event time in ms), `fields.y` the bar's value, `fields.group` the value naming each bar's colour
 * in `colors`. A day missing from the data is an empty slot, never a squeezed axis; a record for a day
 * already shown replaces it (the latest wins). Options:
 */
export const dayBarsOptions = z.strictObject({
  /** How many days (slots) are shown: the last N up to the newest. */
  days: z.number().int().positive().max(2000).default(60),
  /** Days per slot (7: one bar per week). */
  step: z.number().int().positive().default(1),
  yLabel: z.string().optional(),
  unit: z.string().optional(),
  /** Bar colour when there is no `fields.group`, or for a group not in `colors`. */
  color: z.string().optional(),
  /** Group value → colour (a theme name: red, orange, green, …, or #rrggbb). */
  colors: z.record(z.string(), z.string()).default({}),
  /** Group value → what its colour means, shown as a key under the chart (the calorie bands). */
  legend: z.record(z.string(), z.string()).default({}),
  /** Dashed horizontal lines on the bars' axis (the band thresholds). */
  thresholds: z.array(z.strictObject({ value: z.number(), label: z.string().optional() })).default([]),
  /** A line over the days: on a second axis on the right, or on the left one (a panel of only a line). */
  line: z
    .strictObject({
      field: z.string(),
      label: z.string().optional(),
      color: z.string().optional(),
      axis: z.enum(['left', 'right']).default('right'),
    })
    .optional(),
  /** Days marked from another topic (alert records): where `field` equals `equals`, at day `x`, with `label` on hover. */
  marks: z
    .array(
      z.strictObject({
        topic: z.string(),
        field: z.string().default('type'),
        equals: z.string().optional(),
        x: z.string().default('day'),
        label: z.string().default('reason'),
        color: z.string().optional(),
      }),
    )
    .default([]),
  /** More fields of the latest record per day, shown on hover. */
  details: z.array(z.string()).default([]),
});
export type DayBarsOptions = z.infer<typeof dayBarsOptions>;

/** One slot: [x (ms, the day at 00:00 UTC), bar, line, group, details]. */
export type DayBarsRow = [number, number | null, number | null, string | null, Record<string, unknown>];

export interface DayBarsMark {
  x: number;
  label: string;
  color?: string;
}

export interface DayBarsData {
  /** Slot width in ms. */
  step: number;
  rows: DayBarsRow[];
  marks: DayBarsMark[];
  /** Records folded in so far. */
  total: number;
}
