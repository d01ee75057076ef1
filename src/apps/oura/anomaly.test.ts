import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../connectors/sources/pacing.ts';
import {
  type AnomalyOptions,
  DEFAULT_ANOMALY,
  type FitState,
  initialFit,
  type OuraAlert,
  stepAnomaly,
} from './anomaly.ts';
import { type DayFigures, dayFigures, OuraDay } from './day.ts';
import { ouraSample } from './sample.ts';

const BANDS = { low: 2750, ok: 3000 };

/** The sample's lines as documents, in file order (the day sent twice appears twice). */
const docsOf = (text: string): Array<Record<string, unknown>> =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** The app's rule over the days in order, its state through JSON as the value store keeps it. */
function appAlerts(docs: Array<Record<string, unknown>>, o: AnomalyOptions = DEFAULT_ANOMALY): OuraAlert[] {
  let state: FitState = initialFit();
  const out: OuraAlert[] = [];
  for (const doc of docs) {
    const step = stepAnomaly(state, dayFigures(OuraDay.parse(doc), BANDS), o);
    state = JSON.parse(JSON.stringify(step.state)) as FitState;
    out.push(...step.alerts);
  }
  return out;
}

interface Judged {
  day: string;
  x: number;
  y: number;
  anomaly: boolean;
  /** Before a run of anomalies that became the new normal: in no later fit. */
  forgotten: boolean;
}

/**
 * The rule by brute force, written apart from the app: each worn day is judged on a least-squares line
 * through the last `window` worn days before it that were not anomalies (a day sent again replacing its
 * earlier copy), z = residual / prediction spread; |z| > threshold is an anomaly, an episode runs from the
 * first anomaly to the next day that is not one. `minDays` anomalies in a row become the fit instead.
 */
function reference(days: DayFigures[], o: AnomalyOptions) {
  let judged: Judged[] = [];
  const verdicts: Array<{ day: string; z: number; std: number; anomaly: boolean }> = [];
  for (const d of days) {
    if (d.non_wear) continue;
    const prior = judged.filter((j) => j.day !== d.day);
    const fitDays = prior.filter((j) => !j.anomaly && !j.forgotten).slice(-o.window);
    let anomaly = false;
    if (fitDays.length >= o.minDays) {
      const n = fitDays.length;
      const mx = fitDays.reduce((s, p) => s + p.x, 0) / n;
      const my = fitDays.reduce((s, p) => s + p.y, 0) / n;
      const sxx = fitDays.reduce((s, p) => s + (p.x - mx) ** 2, 0);
      const slope = fitDays.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
      const intercept = my - slope * mx;
      const sse = fitDays.reduce((s, p) => s + (p.y - intercept - slope * p.x) ** 2, 0);
      const spread = Math.max(Math.sqrt(sse / (n - 2)), o.minStd);
      const std = spread * Math.sqrt(1 + 1 / n + (d.activity_minutes - mx) ** 2 / sxx);
      const z = (d.total_calories - intercept - slope * d.activity_minutes) / std;
      anomaly = Math.abs(z) > o.threshold;
      verdicts.push({ day: d.day, z, std, anomaly });
    }
    judged = [...prior, { day: d.day, x: d.activity_minutes, y: d.total_calories, anomaly, forgotten: false }];
    let run = 0;
    while (run < judged.length && judged[judged.length - 1 - run]!.anomaly) run++;
    if (run >= o.minDays) {
      judged = judged.map((j, i) =>
        i < judged.length - run ? { ...j, forgotten: true } : { ...j, anomaly: false, forgotten: false },
      );
    }
  }
  const started: typeof verdicts = [];
  const ended: typeof verdicts = [];
  let active = false;
  for (const v of verdicts) {
    if (!active && v.anomaly) started.push(v);
    if (active && !v.anomaly) ended.push(v);
    active = v.anomaly;
  }
  return { started, ended };
}

/** App alerts against reference verdicts: the same days, the same z and spread (to the app's rounding). */
function assertSame(alerts: OuraAlert[], ref: ReturnType<typeof reference>['started'], what: string): void {
  assert.deepEqual(
    alerts.map((a) => a.day),
    ref.map((v) => v.day),
    what,
  );
  alerts.forEach((a, i) => {
    assert.ok(Math.abs(a.z! - ref[i]!.z) <= 0.006, `${what} ${a.day}: z ${a.z} vs ${ref[i]!.z}`);
    assert.ok(Math.abs(a.residual_std! - ref[i]!.std) <= 0.06, `${what} ${a.day}: spread ${a.residual_std}`);
  });
}

/** The app's starts and ends over `docs` equal the brute force's; returns the reference's verdicts. */
function assertAsReference(docs: Array<Record<string, unknown>>, what: string): ReturnType<typeof reference> {
  const ref = reference(
    docs.map((d) => dayFigures(OuraDay.parse(d), BANDS)),
    DEFAULT_ANOMALY,
  );
  const alerts = appAlerts(docs);
  assertSame(
    alerts.filter((a) => a.type === 'anomaly_started'),
    ref.started,
    `${what} started`,
  );
  assertSame(
    alerts.filter((a) => a.type === 'anomaly_ended'),
    ref.ended,
    `${what} ended`,
  );
  return ref;
}

test('drops of any size on random days: the days flagged are those of a fit without anomaly days, by brute force', () => {
  const rand = mulberry32(20250220);
  let followers = 0;
  for (const seed of [1, 7, 19, 44671]) {
    const sample = ouraSample({ seed });
    const base = docsOf(sample.text);
    // The later copy of the day sent twice: judged while its earlier copy is out of the fit.
    const resent = base.findLastIndex((d) => d.day === sample.duplicate);
    for (let trial = 0; trial < 10; trial++) {
      const docs = base.map((d) => ({ ...d }));
      // 1 to 6 drops, from lost in the noise (100 kcal, z about 2) to far off the line (1300 kcal); the
      // first trial's first one on the re-sent day, so that its verdict (and z) is compared too.
      const drops = 1 + Math.floor(rand() * 6);
      for (let k = 0; k < drops; k++) {
        const doc = docs[trial === 0 && k === 0 ? resent : Math.floor(rand() * docs.length)]!;
        doc.total_calories = Math.max(0, (doc.total_calories as number) - Math.round(100 + rand() * 1200));
      }
      const ref = assertAsReference(docs, `seed ${seed} trial ${trial}`);
      // The case the rule is about: an anomaly within a fit's reach (42 days) of an earlier one.
      const at = ref.started.map((v) => Date.parse(v.day));
      followers += at.filter((t, i) => i > 0 && t - at[i - 1]! < 42 * 86_400_000).length;
    }
  }
  assert.ok(followers >= 10, `anomalies following anomalies: ${followers}`);
});

test('a later sync of a day, arriving days after it, replaces its copy in the fit: the days flagged equal the brute force', () => {
  const rand = mulberry32(7011);
  for (const seed of [3, 11, 29]) {
    const sample = ouraSample({ seed });
    const base = docsOf(sample.text);
    const resent = base.findLastIndex((d) => d.day === sample.duplicate);
    for (let trial = 0; trial < 6; trial++) {
      const docs = base.map((d) => ({ ...d }));
      // The second copy of the day arrives 1 to 40 days late (a ring synced after a week in a drawer).
      const [copy] = docs.splice(resent, 1);
      const late = Math.min(docs.length, resent + 1 + Math.floor(rand() * 40));
      // Sometimes the late copy is what makes the day an anomaly, sometimes it corrects one.
      if (trial % 2 === 1) copy!.total_calories = Math.max(0, (copy!.total_calories as number) - 1200);
      docs.splice(late, 0, copy!);
      for (let k = 0; k < 3; k++) {
        const doc = docs[Math.floor(rand() * docs.length)]!;
        doc.total_calories = Math.max(0, (doc.total_calories as number) - Math.round(300 + rand() * 1000));
      }
      assertAsReference(docs, `seed ${seed} trial ${trial} (copy ${late - resent} days late)`);
    }
  }
});

test('the same drop a week after an anomaly is flagged as the first one is, with the spread it had', () => {
  const sample = ouraSample();
  const docs = docsOf(sample.text);
  // The fresh-user trial's file: 550 kcal off 02-20, and off 03-24, a week after the injected 03-17.
  for (const doc of docs) {
    if (doc.day === '2025-02-20' || doc.day === '2025-03-24') doc.total_calories = (doc.total_calories as number) - 550;
  }
  const started = appAlerts(docs).filter((a) => a.type === 'anomaly_started');
  assert.deepEqual(
    started.map((a) => a.day),
    ['2025-02-20', '2025-03-17', '2025-03-24', ...sample.anomalies.slice(1)],
  );
  const [feb, mar17, mar24] = started;
  // Each judged on a spread of ordinary days: none widened by the anomaly before it.
  for (const a of [mar17!, mar24!])
    assert.ok(a.residual_std! < 1.2 * feb!.residual_std!, `${a.day}: ${a.residual_std}`);
});

test('a lasting shift (a new weight in the profile) is one episode: after 14 days in a row it is the new normal', () => {
  const sample = ouraSample({ seed: 12, anomalies: false });
  const docs = docsOf(sample.text);
  const shiftFrom = '2025-07-01';
  for (const doc of docs) {
    if ((doc.day as string) >= shiftFrom) doc.total_calories = (doc.total_calories as number) + 600;
  }
  const alerts = appAlerts(docs);
  assert.deepEqual(sample.nonWear, [], 'every day after the shift is judged');
  const worn = docs.filter((d) => (d.day as string) >= shiftFrom).map((d) => d.day as string);
  // Flagged from its first day; the 14th flagged day starts the new fit, and the 15th fits it.
  assert.deepEqual(
    alerts.map((a) => [a.day, a.type]),
    [
      [worn[0], 'anomaly_started'],
      [worn[DEFAULT_ANOMALY.minDays], 'anomaly_ended'],
    ],
  );
});
