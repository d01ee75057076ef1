import { z } from 'zod';

/** `stat`: the latest `fields.y`, large. Options: */
export const statOptions = z.strictObject({
  unit: z.string().optional(),
});
export type StatOptions = z.infer<typeof statOptions>;

export type StatData = { kind: 'stat'; value: number | string | null; at?: number };
