import { z } from 'zod';

/** A coloured value band behind the line (`from`..`to` on the y axis). */
export const zoneSchema = z.strictObject({
  from: z.number(),
  to: z.number(),
  label: z.string().optional(),
  color: z.string().optional(),
});

/** Lines drawn by a `line` with `fields.group` unless `maxGroups` says otherwise: one per palette colour. */
export const DEFAULT_MAX_GROUPS = 8;

/**
 * `line`: `fields.y` over event time (`fields.x` if numeric, else the record timestamp); with
 * `fields.group`, one line per value of that field (the first `maxGroups` values seen). Options:
 */
export const lineOptions = z.strictObject({
  unit: z.string().optional(),
  yLabel: z.string().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  color: z.string().optional(),
  /** With `fields.group`: how many groups get a line (default 8); records of the others are counted. */
  maxGroups: z.number().int().min(1).max(20).optional(),
  /** With `fields.group`: group value → colour (a theme name or #rrggbb); the others take the palette's. */
  colors: z.record(z.string(), z.string()).optional(),
  zones: z.array(zoneSchema).default([]),
  /** `true`: a dashed line at the mean of the values; a path: an exact figure read from `averageTopic`. */
  average: z.union([z.boolean(), z.string()]).optional(),
  /** Where `average: 'path'` is read (default `<topic>.stats`). */
  averageTopic: z.string().optional(),
  /** N: the values as dots plus a rolling mean of N (0: a plain line); unset, the data decides. */
  smooth: z.number().int().min(0).optional(),
  /**
   * Start/end events from another topic shaded on the line (an app's alert episodes): records of `topic`
   * whose `field` equals `start` open a mark, `end` closes it.
   */
  marks: z
    .strictObject({
      topic: z.string(),
      field: z.string().default('type'),
      start: z.string().default('start'),
      end: z.string().default('end'),
      /** What a mark is called in the summary (default: `start` without its `_started`). */
      label: z.string().optional(),
      /** Field holding the event's time (ms); default the record timestamp. */
      at: z.string().optional(),
      /**
       * Path to `{ partition, offset }` of the reading on the line's topic that an event is about: a
       * restarted replay repeats the earlier one's times, and only this tells whose event it is.
       */
      reading: z.string().optional(),
    })
    .optional(),
});
export type LineOptions = z.infer<typeof lineOptions>;

/** [x (event time, ms), y] */
export type Point = [number, number];

/** A start/end event drawn on a line: `end` is missing while it lasts. */
export type Mark = {
  start: number;
  end?: number;
  /** y at the start, so the chart can dot the line there. */
  y?: number;
  label?: string;
};

/** One group's line in `GroupSeriesData`; a delta appends its points (or restarts the line with `reset`). */
export type GroupLine = { name: string; points: Point[]; reset?: boolean };

/**
 * What a `line` with `fields.group` sends: a snapshot holds every group's line, a delta only the groups
 * with new points. `others`: records of groups past `maxGroups`, not drawn but said.
 */
export type GroupSeriesData = {
  kind: 'group-series';
  groups: GroupLine[];
  total: number;
  average?: number;
  others?: { groups: number; records: number };
};

/** What `line` and `cumulative` send; a delta appends its points (or restarts the line with `reset`). */
export type SeriesData = {
  kind: 'series';
  points: Point[];
  total: number;
  average?: number;
  marks: Mark[];
  reset?: boolean;
};
