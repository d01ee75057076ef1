import { z } from 'zod';

/**
 * `tick-speed`: how fast a simulation's ticks get through. The newest tick (`fields.x`, default `tick`)
 * on the panel's topic (the results) gives ticks/s over the last `windowMs` of wall time; the newest on
 * `source` (the input) gives the lag, in ticks, of the results behind it. Options:
 */
export const tickSpeedOptions = z.strictObject({
  source: z.string().optional(),
  /** Records where this field is truthy are not ticks (an end-of-run marker): skipped. */
  skip: z.string().optional(),
  windowMs: z.number().int().positive().default(5000),
});
export type TickSpeedOptions = z.infer<typeof tickSpeedOptions>;

export interface TickSpeedData {
  /** Newest tick of the results, and of the input (null: none yet / no source). */
  tick: number | null;
  sourceTick: number | null;
  /** Ticks per second over the window (null: not enough to tell yet). */
  rate: number | null;
  /** Input ticks not yet in the results. */
  lag: number | null;
}
