import { z } from 'zod';

/**
 * The keys an object schema takes at `path` inside `schema` (through optional, default, nullable and
 * arrays): what a "did you mean" for an unrecognized key chooses from, for a connector's config and a
 * panel's options alike.
 */
export function keysAt(schema: z.ZodType, path: ReadonlyArray<PropertyKey>): string[] {
  let cur: unknown = schema;
  const unwrap = () => {
    while (cur instanceof z.ZodOptional || cur instanceof z.ZodDefault || cur instanceof z.ZodNullable)
      cur = cur.unwrap();
  };
  for (const k of path) {
    unwrap();
    if (cur instanceof z.ZodArray && typeof k === 'number') cur = cur.element;
    else if (cur instanceof z.ZodObject && typeof k === 'string') cur = cur.shape[k];
    else return [];
  }
  unwrap();
  return cur instanceof z.ZodObject ? Object.keys(cur.shape) : [];
}
