import { z } from 'zod';

/**
 * `lines`: several numeric fields of each record as lines over `fields.x` (a numeric field: users learned,
 * a count; default the record's time). A record with an x already drawn replaces that point (a replay
 * after a restart redraws, never doubles). Options:
 */
export const linesOptions = z.strictObject({
  series: z
    .array(z.strictObject({ field: z.string().min(1), label: z.string().optional(), color: z.string().optional() }))
    .min(1)
    .max(8),
  xLabel: z.string().optional(),
  yLabel: z.string().optional(),
  /** Fixed y range ends (accuracy: 0 and 1); default: the data's. */
  min: z.number().optional(),
  max: z.number().optional(),
  /** `percent`: values 0..1 shown as %. */
  format: z.enum(['number', 'percent']).default('number'),
  /** Points kept (older ones thinned, so a long run keeps its shape). */
  points: z.number().int().min(10).max(5000).default(1000),
});
export type LinesOptions = z.infer<typeof linesOptions>;

/** One x and the value of each series there (null: the record had none). */
export type LinesRow = [number, ...Array<number | null>];

export interface LinesData {
  rows: LinesRow[];
  /** Records folded in so far. */
  total: number;
}
