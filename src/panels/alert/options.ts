import { z } from 'zod';

/**
 * `alert`: a banner, active while `fields.active` of the latest record equals `activeWhen` (or is truthy
 * without it); `fields.label` is shown. Options:
 */
export const alertOptions = z.strictObject({
  activeWhen: z.union([z.string(), z.number(), z.boolean()]).optional(),
  message: z.string().optional(),
  okMessage: z.string().optional(),
  /** Field holding when the condition began (ms); default the record timestamp. Not shown as a figure. */
  at: z.string().optional(),
});
export type AlertOptions = z.infer<typeof alertOptions>;

export type AlertData = {
  kind: 'alert';
  active: boolean;
  label?: string;
  since?: number;
  /** The latest record's scalar fields, shown while active. */
  detail?: Record<string, unknown>;
  count: number;
};
