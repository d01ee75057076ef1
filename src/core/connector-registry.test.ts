import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { validateConfig } from './connector-registry.ts';
import { isRunnelError } from './errors.ts';

const schema = z
  .strictObject({
    path: z.string(),
    timestampColumn: z.string().default('timestamp'),
    rate: z.number().optional(),
    paging: z.strictObject({ type: z.string(), cursorField: z.string().optional() }).optional(),
  })
  .refine(() => true);

const messageOf = (raw: unknown): string => {
  try {
    validateConfig(schema, raw, 'source t');
  } catch (err) {
    assert.ok(isRunnelError(err));
    return err.message;
  }
  assert.fail('accepted');
};

test('an unknown option one slip from a known one is refused with the one it likely meant, at any depth', () => {
  // Every one-letter deletion and every swap of neighbours of every option, at the top and one level down.
  const cases: Array<{ raw: Record<string, unknown>; key: string; path: string }> = [];
  const slips = (k: string) => [
    ...[...k].map((_, i) => k.slice(0, i) + k.slice(i + 1)),
    ...[...k].slice(1).map((_, i) => k.slice(0, i) + k[i + 1] + k[i] + k.slice(i + 2)),
  ];
  for (const key of ['path', 'timestampColumn', 'rate']) {
    for (const slip of slips(key)) if (slip !== key) cases.push({ raw: { path: 'x', [slip]: 1 }, key, path: 'config' });
  }
  for (const key of ['type', 'cursorField']) {
    for (const slip of slips(key))
      if (slip !== key)
        cases.push({ raw: { path: 'x', paging: { type: 'cursor', [slip]: 'x' } }, key, path: 'paging' });
  }
  for (const { raw, key, path } of cases) {
    const m = messageOf(raw);
    assert.ok(m.startsWith(`source t: ${path}: `), m);
    assert.ok(m.includes(`(did you mean "${key}"?)`), m);
  }
});

test('an unknown option like none of them is refused without a guess', () => {
  const m = messageOf({ path: 'x', zzzzzzzz: 1 });
  assert.match(m, /Unrecognized key/);
  assert.doesNotMatch(m, /did you mean/);
});
