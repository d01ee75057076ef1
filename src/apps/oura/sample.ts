import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCodes, RunnelError } from '../../index.ts';

/**
 * A realistic year of Oura `daily_activity` documents, generated rather than shipped: the seed's file is
 * a person's biometric data and is never copied. Calories follow activity (basal burn plus a cost per
 * active minute, with bounded noise) so that what the anomaly rule flags is exactly what was injected:
 * weekends are more active than weekdays; some scores and contributors are null; one day is sent twice
 * (a later sync with more steps); several gaps of days without data; days of high activity with low
 * calories (the seed README's "discrepancy"); and non-wear days (the ring on the charger).
 */
export interface SampleOptions {
  seed?: number;
  days?: number;
  /** First day, YYYY-MM-DD (default 2025-01-01). */
  start?: string;
  /** Inject the anomalies and non-wear days (default true). */
  anomalies?: boolean;
}

export interface Sample {
  text: string;
  /** Days written with high activity and low calories. */
  anomalies: string[];
  /** Days written mostly not worn. */
  nonWear: string[];
  /** The day written twice (the second copy is the one that counts). */
  duplicate: string;
  /** Days left out (gaps). */
  missing: string[];
}

const DAY = 86_400_000;
const BASAL = 2050;
const PER_MINUTE = 2.8;

export function ouraSample(o: SampleOptions = {}): Sample {
  const rand = mulberry32(o.seed ?? 44671);
  const between = (lo: number, hi: number) => lo + (hi - lo) * rand();
  const int = (lo: number, hi: number) => Math.round(between(lo, hi));
  const days = o.days ?? 365;
  const start = Date.parse(`${o.start ?? '2025-01-01'}T00:00:00Z`);
  const inject = o.anomalies ?? true;
  // Gaps: stretches of 3–6 days without data, and the days given special treatment, all well apart.
  const gapStarts = [47, 131, 208, 290];
  const gapLengths = [3, 5, 4, 6];
  const anomalyAt = inject ? [75, 170, 320] : [];
  const nonWearAt = inject ? [100, 245] : [];
  const duplicateAt = 60;
  const lines: string[] = [];
  const sample: Sample = { text: '', anomalies: [], nonWear: [], duplicate: '', missing: [] };
  for (let i = 0; i < days; i++) {
    const t = start + i * DAY;
    const day = new Date(t).toISOString().slice(0, 10);
    const g = gapStarts.findIndex((s, k) => i >= s && i < s + gapLengths[k]!);
    if (g >= 0) {
      sample.missing.push(day);
      continue;
    }
    const weekday = new Date(t).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    let low = weekend ? int(200, 420) : int(120, 380);
    let medium = weekend ? int(30, 130) : int(5, 90);
    let high = weekend ? int(10, 60) : int(0, 40);
    let nonWear = int(0, 40);
    // Basal burn drifts a little with the seasons; calories follow activity within ±80 kcal.
    const basal = BASAL + 40 * Math.sin((2 * Math.PI * i) / 365);
    let noise = between(-80, 80);
    const special = anomalyAt.includes(i) ? 'anomaly' : nonWearAt.includes(i) ? 'non-wear' : undefined;
    if (special === 'anomaly') {
      // A long hike logged by the ring, but the calories of a quiet day.
      low = int(340, 380);
      medium = int(110, 130);
      high = int(70, 90);
      noise = -between(900, 1100);
      sample.anomalies.push(day);
    } else if (special === 'non-wear') {
      low = int(20, 40);
      medium = 0;
      high = 0;
      nonWear = int(18 * 60, 21 * 60);
      sample.nonWear.push(day);
    }
    const active = high + medium + low;
    const total = Math.round(basal + PER_MINUTE * active + noise);
    const doc = document(day, t, { low, medium, high, nonWear, total, basal, weekend }, rand, special);
    lines.push(JSON.stringify(doc));
    if (i === duplicateAt) {
      // A later sync of the same day: a few more steps and calories, still on the line; this one counts.
      sample.duplicate = day;
      lines.push(JSON.stringify({ ...doc, steps: (doc.steps as number) + 412, total_calories: total + 12 }));
    }
  }
  sample.text = `${lines.join('\n')}\n`;
  return sample;
}

interface Activity {
  low: number;
  medium: number;
  high: number;
  nonWear: number;
  total: number;
  basal: number;
  weekend: boolean;
}

function document(day: string, t: number, a: Activity, rand: () => number, special?: string): Record<string, unknown> {
  const { low, medium, high, nonWear, total } = a;
  const resting = special === 'non-wear' ? 60 : Math.round(420 + rand() * 90);
  const sedentary = Math.max(0, 24 * 60 - low - medium - high - nonWear - resting);
  const steps = Math.round(low * 14 + medium * 95 + high * 140 + rand() * 600);
  const met = (m: number, level: number) => Math.round(m * level);
  const nullScore = special === 'non-wear' || rand() < 0.07;
  const nullContributors = special === 'non-wear' || rand() < 0.03;
  const score = nullScore ? null : Math.min(99, Math.round(55 + (low + 2 * medium + 3 * high) / 14 + rand() * 8));
  const contributor = () => (rand() < 0.05 ? null : Math.round(40 + rand() * 60));
  // Central time: 04:00 local, -06:00 in winter and -05:00 in summer, as the API's timestamps read.
  const month = new Date(t).getUTCMonth();
  const offset = month >= 3 && month <= 9 ? '-05:00' : '-06:00';
  return {
    score,
    active_calories: Math.max(0, Math.round(total - a.basal)),
    average_met_minutes: Math.round(((low * 2.5 + medium * 4.5 + high * 8 + sedentary * 1.1) / 1440) * 1e5) / 1e5,
    contributors: nullContributors
      ? {
          meet_daily_targets: null,
          move_every_hour: null,
          recovery_time: null,
          stay_active: null,
          training_frequency: null,
          training_volume: null,
        }
      : {
          meet_daily_targets: contributor(),
          move_every_hour: contributor(),
          recovery_time: contributor(),
          stay_active: contributor(),
          training_frequency: contributor(),
          training_volume: contributor(),
        },
    equivalent_walking_distance: Math.round(steps * 0.76),
    high_activity_met_minutes: met(high, 8),
    high_activity_time: high * 60,
    inactivity_alerts: Math.round(rand() * 3),
    low_activity_met_minutes: met(low, 2.5),
    low_activity_time: low * 60,
    medium_activity_met_minutes: met(medium, 4.5),
    medium_activity_time: medium * 60,
    meters_to_target: Math.round(10_000 - steps * 0.76 * (a.weekend ? 1.1 : 1)),
    non_wear_time: nonWear * 60,
    resting_time: resting * 60,
    sedentary_met_minutes: met(sedentary, 1.1),
    sedentary_time: sedentary * 60,
    steps,
    target_calories: 550,
    target_meters: 10_000,
    total_calories: total,
    day,
    timestamp: `${day}T04:00:00${offset}`,
  };
}

/** Seeded PRNG (mulberry32): the same sample on every machine. */
function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes the sample once into the data folder (as smoker does) and returns its path. */
export function ensureOuraSample(path: string): string {
  if (!existsSync(path)) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, ouraSample().text);
    } catch (err) {
      // Written while the app is built: one line naming the file and the flag that moves it.
      throw new RunnelError(
        ErrorCodes.OUTPUT_UNWRITABLE,
        `cannot write the oura sample ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give --data-dir a folder you can write`,
        { value: path, cause: err },
      );
    }
  }
  return path;
}
