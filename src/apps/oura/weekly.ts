import type { Aggregator } from '../../index.ts';
import type { DayFigures } from './day.ts';

/** A week's days by date: [total calories, steps, activity minutes], or null for a day not worn. */
export type WeekAcc = Record<string, [number, number, number] | null>;

export interface WeekMeans {
  /** Days with data in the week (a day sent twice counts once). */
  days: number;
  /** Of those, days mostly not worn: left out of the means. */
  non_wear_days: number;
  calories_mean: number | null;
  steps_mean: number | null;
  activity_minutes_mean: number | null;
}

const mean = (xs: number[]): number | null =>
  xs.length === 0 ? null : Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10;

/**
 * A week's means with each day counted once, the latest copy winning: a mean accumulator would count a
 * day sent twice twice. At most seven entries, so the state stays small.
 */
export const weekMeans: Aggregator<DayFigures, WeekAcc, WeekMeans> = {
  init: () => ({}),
  add(acc, d) {
    acc[d.day] = d.non_wear ? null : [d.total_calories, d.steps, d.activity_minutes];
    return acc;
  },
  merge: (a, b) => Object.assign(a, b),
  result(acc) {
    const worn = Object.values(acc).filter((v): v is [number, number, number] => v !== null);
    return {
      days: Object.keys(acc).length,
      non_wear_days: Object.keys(acc).length - worn.length,
      calories_mean: mean(worn.map((v) => v[0])),
      steps_mean: mean(worn.map((v) => v[1])),
      activity_minutes_mean: mean(worn.map((v) => v[2])),
    };
  },
};
