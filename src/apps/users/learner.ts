import type { FlatUser } from './flatten.ts';
import { GenderModel, PrequentialEval } from './model.ts';

type Label = 'male' | 'female';

/** One model's state as the engine keeps it: JSON, committed with the outputs it produced. */
export interface LearnerState {
  model: ReturnType<GenderModel['toState']>;
  evaluation: ReturnType<PrequentialEval['toState']>;
  /** Users per country and per age decade so far (exact, for the page's bars and histogram). */
  countries: Record<string, number>;
  ages: Record<string, number>;
  /** The model's `seen` at its last snapshot on the model topic. */
  snapshotAt: number;
  /** And at its last row on the metrics topic (absent in state stored before it was kept). */
  metricsAt?: number;
}

/** The model and its evaluation as live objects (rebuilt from LearnerState after a restore). */
export interface Learner {
  model: GenderModel;
  evaluation: PrequentialEval;
  countries: Record<string, number>;
  ages: Record<string, number>;
  snapshotAt: number;
  metricsAt: number;
}

/** Every user on the output topic: the flat user, where from, how old, and the prediction made before learning. */
export interface PredictedUser extends FlatUser {
  country: string;
  /** Whole years between `dob` and the record's time; null without a readable dob. */
  age: number | null;
  predicted_gender: Label;
  /** The model's probability that the name is a woman's. */
  p_female: number;
  /** The probability of the predicted gender (≥ 0.5). */
  probability: number;
  correct: boolean;
  /** Users the model had learned from before this one (its position on the learning curve). */
  seen: number;
}

export function newLearner(): Learner {
  return {
    model: new GenderModel(),
    evaluation: new PrequentialEval(),
    countries: {},
    ages: {},
    snapshotAt: 0,
    metricsAt: 0,
  };
}

export function learnerFromState(s: LearnerState): Learner {
  const model = GenderModel.fromState(s.model);
  return {
    model,
    evaluation: PrequentialEval.fromState(s.evaluation),
    countries: { ...s.countries },
    ages: { ...s.ages },
    snapshotAt: s.snapshotAt,
    // State from before: its last row is taken as current (no extra row after an upgrade).
    metricsAt: s.metricsAt ?? model.seen,
  };
}

export function learnerState(l: Learner): LearnerState {
  return {
    model: l.model.toState(),
    evaluation: l.evaluation.toState(),
    countries: { ...l.countries },
    ages: { ...l.ages },
    snapshotAt: l.snapshotAt,
    metricsAt: l.metricsAt,
  };
}

/** The last part of the seed's address `number street, city, state, country`. */
export const countryOf = (address: string): string => address.split(',').at(-1)?.trim() || 'unknown';

const YEAR = 365.2425 * 86_400_000;
export function ageAt(dob: string | undefined, at: number): number | null {
  const born = dob ? Date.parse(dob) : Number.NaN;
  if (!Number.isFinite(born) || born > at) return null;
  return Math.floor((at - born) / YEAR);
}

/**
 * Prequential step: predict the user's gender from the first name with the model as it is, score that
 * prediction, and only then learn from the user. The title (Mr/Ms) is never seen: it gives gender away.
 */
export function step(l: Learner, u: FlatUser, at: number): PredictedUser {
  const actual = u.gender as Label;
  const p = l.model.predict(u.first_name);
  const predicted: Label = p.label as Label;
  l.evaluation.record(predicted, actual === 'female' ? p.pFemale : 1 - p.pFemale, actual);
  const seen = l.model.seen;
  l.model.learn(u.first_name, actual);
  const country = countryOf(u.address);
  const age = ageAt(u.dob, at);
  l.countries[country] = (l.countries[country] ?? 0) + 1;
  if (age !== null) {
    const decade = `${Math.floor(age / 10) * 10}`;
    l.ages[decade] = (l.ages[decade] ?? 0) + 1;
  }
  return {
    ...u,
    country,
    age,
    predicted_gender: predicted,
    p_female: p.pFemale,
    probability: predicted === 'female' ? p.pFemale : 1 - p.pFemale,
    correct: predicted === actual,
    seen,
  };
}

/** A point of the learning curve: the prequential figures after `n` users, and the counts so far. */
export function metricsOf(l: Learner): Record<string, unknown> {
  // Copies: an emitted value is serialised at commit, after the rest of the batch changed the counts.
  return { ...l.evaluation.snapshot(), seen: l.model.seen, countries: { ...l.countries }, ages: { ...l.ages } };
}
