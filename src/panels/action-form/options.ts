import { z } from 'zod';

const name = z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and -');

/**
 * `action-form`: a form that posts its inputs as JSON to one of the app's actions
 * (`POST /api/apps/<app>/<action>`, see AppAction) and shows fields of the answer. The server checks the
 * body with the action's schema; the form only helps. Options:
 */
export const actionFormOptions = z.strictObject({
  app: name,
  action: name,
  submit: z.string().default('Send'),
  inputs: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(100),
        label: z.string().optional(),
        required: z.boolean().default(false),
        /** A choice of these values instead of free text. */
        choices: z.array(z.string()).min(1).optional(),
      }),
    )
    .min(1)
    .max(20),
  /** Fields (dot paths) of the answer to show. */
  answer: z
    .array(
      z.strictObject({
        field: z.string().min(1),
        label: z.string().optional(),
        format: z.enum(['text', 'percent']).default('text'),
      }),
    )
    .default([]),
});
export type ActionFormOptions = z.infer<typeof actionFormOptions>;
