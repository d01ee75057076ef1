import { randomUUID } from 'node:crypto';
import { type AppAction, type AppActionContext, ErrorCodes, RunnelError, z } from '../../index.ts';
import { type FlatUser, FlatUserSchema } from './flatten.ts';
import { GenderModel } from './model.ts';
import type { ModelSnapshot } from './pipeline.ts';
import { usersTopics } from './settings.ts';

/**
 * A name: letters, spaces, apostrophes and hyphens of any script, 1 to 100 characters. The messages go on
 * from the field's name (see server/refusal.ts): `first name must be at most 100 characters`.
 */
const name = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(100, 'must be at most 100 characters')
  .regex(/^[\p{L}\p{M}' .-]+$/u, 'must be letters, spaces, apostrophes and hyphens only');

export const predictInput = z.strictObject({ name });

const field = (max: number) => z.string().trim().max(max).default('');
export const addInput = z.strictObject({
  first_name: name,
  // A surname is free text (the generator's have digits for some nationalities), but not empty.
  last_name: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters'),
  gender: z.enum(['male', 'female']),
  email: field(200),
  phone: field(50),
  address: field(300),
  post_code: field(20),
  username: field(100),
  dob: z.iso.date().optional(),
});

export interface Prediction {
  predicted_gender: string;
  probability: number;
  p_female: number;
  /** Users the answering model had learned from. */
  seen: number;
}

/** The newest model snapshot per dashboard, parsed once per snapshot (the page may ask many times a second). */
const cache = new WeakMap<AppActionContext, { at: string; seen: number; model: GenderModel }>();

async function currentModel(ctx: AppActionContext): Promise<{ seen: number; model: GenderModel } | undefined> {
  const newest = (await ctx.latest(usersTopics(ctx.env).model)).sort(
    (a, b) => (b.value as ModelSnapshot).seen - (a.value as ModelSnapshot).seen,
  )[0];
  if (!newest) return undefined;
  const at = `${newest.topic}/${newest.partition}/${newest.offset}`;
  let cached = cache.get(ctx);
  if (cached?.at !== at) {
    const snap = newest.value as ModelSnapshot;
    cached = { at, seen: snap.seen, model: GenderModel.fromState(snap.model) };
    cache.set(ctx, cached);
  }
  return cached;
}

async function predict(name: string, ctx: AppActionContext): Promise<Prediction | undefined> {
  const m = await currentModel(ctx);
  if (!m) return undefined;
  const p = m.model.predict(name);
  return {
    predicted_gender: p.label,
    probability: p.label === 'female' ? p.pFemale : 1 - p.pFemale,
    p_female: p.pFemale,
    seen: m.seen,
  };
}

/**
 * `POST /api/apps/users/predict {"name": "Maria"}` → the live model's answer at once: the seed's
 * `POST /employees/` that returned a meaningless cluster, done right.
 */
const predictAction: AppAction = {
  input: predictInput,
  async run(input, ctx) {
    const { name } = input as z.infer<typeof predictInput>;
    const p = await predict(name, ctx);
    if (!p) throw new RunnelError(ErrorCodes.NOT_READY, 'the model has not learned from any user yet');
    return { name, ...p };
  },
};

/**
 * `POST /api/apps/users/add`: the page's "add user" form. The user goes on `users_created` like any other
 * (a fresh id, registered now), so the model predicts and then learns from it; the answer carries the
 * prediction the current model makes for it (null before the first snapshot).
 */
const addAction: AppAction = {
  input: addInput,
  async run(input, ctx) {
    const a = input as z.infer<typeof addInput>;
    const user: FlatUser = FlatUserSchema.parse({
      id: randomUUID(),
      first_name: a.first_name,
      last_name: a.last_name,
      gender: a.gender,
      address: a.address,
      post_code: a.post_code,
      email: a.email,
      username: a.username,
      ...(a.dob ? { dob: `${a.dob}T00:00:00.000Z` } : {}),
      registered_date: new Date().toISOString(),
      phone: a.phone,
      picture: '',
    });
    const prediction = await predict(user.first_name, ctx);
    await ctx.produce(usersTopics(ctx.env).users, [{ key: user.id, value: user }]);
    return { user, prediction: prediction ?? null };
  },
};

export const usersActions: Record<string, AppAction> = { predict: predictAction, add: addAction };
