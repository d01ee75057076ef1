import { z } from 'zod';

/**
 * `histogram`: `fields.y` a `{ value: count }` object in the latest record (a stats topic), or a number
 * per record counted here. Options:
 */
export const histogramOptions = z.strictObject({
  /** Dashed lines read from the latest stats record (`'length.mean'`); mean and median are computed when counting raw. */
  marks: z.array(z.string()).default([]),
  bins: z.number().int().positive().max(500).default(16),
  unit: z.string().optional(),
  xLabel: z.string().optional(),
  yLabel: z.string().optional(),
});
export type HistogramOptions = z.infer<typeof histogramOptions>;

/** Bins as [from, to, count], and the marks' values. */
export type HistogramData = {
  kind: 'histogram';
  bins: Array<[number, number, number]>;
  marks: Array<{ label: string; value: number }>;
  total: number;
  /** Each bin holds one value, its start: the bar is drawn centred on that value, not across [from, to). */
  centred?: boolean;
};
