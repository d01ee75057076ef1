import { z } from 'zod';

/**
 * `point-map`: the latest position of each entity on a W×H grid, as a point coloured by its group
 * (`fields.x`, `fields.y`, `fields.group`; `options.id` names the entity). Up to `maxPoints` entities
 * every point goes to the page; above, the server sends a density grid per group instead (`bins` a side),
 * so the page gets at most a few tens of thousands of numbers whatever the population. Options:
 */
export const pointMapOptions = z.strictObject({
  /** The grid's size: points are drawn at x / width, y / height. */
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** The field naming the entity (its latest record wins). */
  id: z.string().default('id'),
  /** The groups in drawing order (later ones drawn on top), each with a colour and a legend label. */
  groups: z
    .array(z.strictObject({ value: z.union([z.string(), z.number()]), label: z.string(), color: z.string() }))
    .min(1),
  /** Above this many entities, a density heatmap per group instead of points. */
  maxPoints: z.number().int().positive().default(50_000),
  /** Cells a side of the heatmap (the grid is cut in bins × bins, or fewer when the grid is smaller). */
  bins: z.number().int().positive().max(512).default(160),
  /** A field that orders records (the tick): shown on the panel, and an older record never replaces a newer. */
  order: z.string().optional(),
  /** At most one frame per this many ms (a frame of 50k points is ~1 MB of JSON). */
  everyMs: z.number().int().nonnegative().default(1000),
});
export type PointMapOptions = z.infer<typeof pointMapOptions>;

export type PointMapData =
  | {
      mode: 'points';
      width: number;
      height: number;
      /** Flat [x, y, group index] per entity. */
      points: number[];
      count: number;
      /** The newest `order` value seen (the tick). */
      newest: number | null;
    }
  | {
      mode: 'density';
      width: number;
      height: number;
      /** Cells per side of the heatmap. */
      bx: number;
      by: number;
      /** Per group, bx × by counts, row by row. */
      counts: number[][];
      count: number;
      newest: number | null;
    };
