import { z } from '../../index.ts';

/**
 * One Oura API v2 `daily_activity` document, as the seed's JSONL, the API's own `{data, next_token}`
 * export and a CSV export all carry it. Only what the pipeline reads is required; the other fields pass
 * through untouched. Activity times are SECONDS, as the API sends them (the seed plotted them as "mins").
 */
const seconds = z.number().finite().min(0);
const nullableScore = z.number().finite().nullable();

export const OuraDay = z.looseObject({
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD'),
  timestamp: z.string().optional(),
  score: nullableScore.optional(),
  total_calories: z.number().finite().min(0),
  active_calories: z.number().finite().min(0).optional(),
  steps: z.number().finite().min(0),
  high_activity_time: seconds,
  medium_activity_time: seconds,
  low_activity_time: seconds,
  sedentary_time: seconds.optional(),
  resting_time: seconds.optional(),
  non_wear_time: seconds.optional(),
  contributors: z.record(z.string(), nullableScore).nullable().optional(),
});
export type OuraDay = z.infer<typeof OuraDay>;

export type Band = 'red' | 'orange' | 'green';

export interface Bands {
  /** Below this many kcal: red (the seed's 2750). */
  low: number;
  /** Below this: orange; otherwise green (the seed's 3000). */
  ok: number;
}

/** What the pipeline computes for each day: the seed's chart figures, in minutes, with the band. */
export interface DayFigures {
  day: string;
  /** Event time of the day: its date at 00:00 UTC, so weeks are calendar weeks whatever the offset. */
  at: number;
  score: number | null;
  total_calories: number;
  active_calories: number | null;
  steps: number;
  band: Band;
  high_activity_minutes: number;
  medium_activity_minutes: number;
  low_activity_minutes: number;
  /** high + medium + low: what calories are fitted against. */
  activity_minutes: number;
  sedentary_minutes: number | null;
  resting_minutes: number | null;
  non_wear_minutes: number;
  /** Most of the day not worn: its figures say nothing about the person, only about the ring. */
  non_wear: boolean;
}

/** A day is "not worn" when more than this share of its 24 hours is non-wear time. */
export const NON_WEAR_SHARE = 0.5;

export const dayMs = (day: string): number => Date.parse(`${day}T00:00:00Z`);

export const bandOf = (kcal: number, b: Bands): Band => (kcal < b.low ? 'red' : kcal < b.ok ? 'orange' : 'green');

/** Seconds to minutes, to a tenth (a minute count with 17 decimals helps nobody). */
export const minutes = (s: number): number => Math.round(s / 6) / 10;
const optMinutes = (s: number | undefined): number | null => (s === undefined ? null : minutes(s));

export function dayFigures(d: OuraDay, bands: Bands): DayFigures {
  const high = minutes(d.high_activity_time);
  const medium = minutes(d.medium_activity_time);
  const low = minutes(d.low_activity_time);
  const nonWear = minutes(d.non_wear_time ?? 0);
  return {
    day: d.day,
    at: dayMs(d.day),
    score: d.score ?? null,
    total_calories: d.total_calories,
    active_calories: d.active_calories ?? null,
    steps: d.steps,
    band: bandOf(d.total_calories, bands),
    high_activity_minutes: high,
    medium_activity_minutes: medium,
    low_activity_minutes: low,
    activity_minutes: Math.round((high + medium + low) * 10) / 10,
    sedentary_minutes: optMinutes(d.sedentary_time),
    resting_minutes: optMinutes(d.resting_time),
    non_wear_minutes: nonWear,
    non_wear: nonWear > 24 * 60 * NON_WEAR_SHARE,
  };
}
