/**
 * The users app's results computed the slow, obvious way: the generator's pages for a seed, flattened,
 * then one model and one evaluation stepped through them in order. A run, crashed or not, must end with
 * exactly these users and, user by user, exactly these predictions (the model state restores bit for bit).
 */
import { flattenUser } from '../../src/apps/users/flatten.ts';
import { GenderModel, PrequentialEval } from '../../src/apps/users/model.ts';
import { generateUsers } from '../../src/apps/users/randomuser.ts';

export interface ReferenceUser {
  id: string;
  first_name: string;
  gender: string;
  predicted_gender: string;
  p_female: number;
  seen: number;
}

/** The flat users of a seed's first `count`, in order. */
export function referenceFlat(seed: string, pageSize: number, count: number) {
  const out = [];
  for (let page = 1; out.length < count; page++) {
    for (const u of generateUsers({ seed, page, results: pageSize }).results)
      if (out.length < count) out.push(flattenUser(u));
  }
  return out;
}

export function referenceUsers(seed: string, pageSize: number, count: number) {
  const model = new GenderModel();
  const evaluation = new PrequentialEval();
  const users: ReferenceUser[] = [];
  for (let page = 1; users.length < count; page++) {
    for (const u of generateUsers({ seed, page, results: pageSize }).results) {
      if (users.length >= count) break;
      const f = flattenUser(u);
      const p = model.predict(f.first_name);
      evaluation.record(p.label, f.gender === 'female' ? p.pFemale : 1 - p.pFemale, f.gender);
      users.push({
        id: f.id,
        first_name: f.first_name,
        gender: f.gender,
        predicted_gender: p.label,
        p_female: p.pFemale,
        seen: model.seen,
      });
      model.learn(f.first_name, f.gender);
    }
  }
  return { users, metrics: evaluation.snapshot(), seen: model.seen };
}
