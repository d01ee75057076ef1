import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { parsesFresh } from './fresh-parse.ts';

/** A schema's shape, from which both the schema and a value that fits it are built. */
type Shape =
  | { t: 'num' | 'str' | 'bool' | 'lit' | 'any' }
  | { t: 'obj' | 'strict' | 'loose' | 'catchall'; fields: Shape[] }
  | { t: 'arr' | 'rec' | 'looseRec' | 'opt' | 'nullable' | 'readonly'; of: Shape }
  | { t: 'tuple'; items: Shape[] }
  | { t: 'union'; a: Shape; b: Shape };

const shape: fc.Arbitrary<Shape> = fc.letrec<{ s: Shape }>((tie) => ({
  s: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ t: fc.constantFrom('num', 'str', 'bool', 'lit', 'any') }) as fc.Arbitrary<Shape>,
    fc.record({
      t: fc.constantFrom('obj', 'strict', 'loose', 'catchall'),
      fields: fc.array(tie('s'), { maxLength: 3 }),
    }) as fc.Arbitrary<Shape>,
    fc.record({
      t: fc.constantFrom('arr', 'rec', 'looseRec', 'opt', 'nullable', 'readonly'),
      of: tie('s'),
    }) as fc.Arbitrary<Shape>,
    fc.record({ t: fc.constant('tuple'), items: fc.array(tie('s'), { maxLength: 3 }) }) as fc.Arbitrary<Shape>,
    fc.record({ t: fc.constant('union'), a: tie('s'), b: tie('s') }) as fc.Arbitrary<Shape>,
  ),
})).s;

function schemaOf(s: Shape): z.ZodType {
  const fields = (list: Shape[]) => Object.fromEntries(list.map((f, i) => [`f${i}`, schemaOf(f)]));
  switch (s.t) {
    case 'num':
      return z.number();
    case 'str':
      return z.string();
    case 'bool':
      return z.boolean();
    case 'lit':
      return z.literal('x');
    case 'any':
      return z.any();
    case 'obj':
      return z.object(fields(s.fields));
    case 'strict':
      return z.strictObject(fields(s.fields));
    case 'loose':
      return z.looseObject(fields(s.fields));
    case 'catchall':
      return z.object(fields(s.fields)).catchall(z.unknown());
    case 'arr':
      return z.array(schemaOf(s.of));
    case 'rec':
      return z.record(z.string(), schemaOf(s.of));
    case 'looseRec':
      return z.looseRecord(z.string().regex(/^f/), schemaOf(s.of));
    case 'opt':
      return schemaOf(s.of).optional();
    case 'nullable':
      return schemaOf(s.of).nullable();
    case 'readonly':
      return schemaOf(s.of).readonly();
    case 'tuple':
      return z.tuple(s.items.map(schemaOf) as [z.ZodType, ...z.ZodType[]]);
    case 'union':
      return z.union([schemaOf(s.a), schemaOf(s.b)]);
  }
}

/** A value that fits: any value is an object, loose objects carry an extra object, so sharing shows. */
function sampleOf(s: Shape): unknown {
  const fields = (list: Shape[]) => Object.fromEntries(list.map((f, i) => [`f${i}`, sampleOf(f)]));
  switch (s.t) {
    case 'num':
      return 1;
    case 'str':
      return 's';
    case 'bool':
      return true;
    case 'lit':
      return 'x';
    case 'any':
      return { deep: { n: 1 } };
    case 'obj':
    case 'strict':
      return fields(s.fields);
    case 'loose':
    case 'catchall':
      return { ...fields(s.fields), extra: { n: 2 } };
    case 'arr':
      return [sampleOf(s.of), sampleOf(s.of)];
    case 'rec':
      return { a: sampleOf(s.of) };
    case 'looseRec':
      return { f: sampleOf(s.of), other: { n: 3 } }; // `other` fails the key type: passed through as it is
    case 'opt':
    case 'nullable':
    case 'readonly':
      return sampleOf(s.of);
    case 'tuple':
      return s.items.map(sampleOf);
    case 'union':
      return sampleOf(s.a);
  }
}

function objectsIn(v: unknown, out = new Set<object>()): Set<object> {
  if (typeof v !== 'object' || v === null) return out;
  out.add(v);
  for (const x of Object.values(v)) objectsIn(x, out);
  return out;
}

test('parsesFresh says true exactly when zod hands back no object of the input (random schemas)', () => {
  fc.assert(
    fc.property(shape, (s) => {
      const schema = schemaOf(s);
      const input = sampleOf(s);
      const output = schema.parse(input);
      const inInput = objectsIn(input);
      const shared = [...objectsIn(output)].some((o) => inInput.has(o));
      // Fresh must mean no sharing. Without unions every part of the schema is on the value's path (a
      // union's value takes one branch), so then a part that shares must also be seen.
      if (parsesFresh(schema)) assert.ok(!shared, `shared, yet said fresh: ${JSON.stringify(s)}`);
      else if (!JSON.stringify(s).includes('"union"'))
        assert.ok(shared, `said not fresh, yet nothing shared: ${JSON.stringify(s)}`);
    }),
    { numRuns: 2000 },
  );
});

test('parsesFresh: what may pass the input through, or shares a default, says false', () => {
  const obj = z.object({ a: z.number() });
  for (const schema of [
    obj.transform((x) => x),
    z.lazy(() => obj),
    z.custom<object>(),
    z.unknown(),
    obj.default({ a: 1 }),
    obj.catch({ a: 1 }),
    {} as z.ZodType,
  ]) {
    assert.equal(parsesFresh(schema), false);
  }
  assert.equal(parsesFresh(z.number().default(1)), true);
  // Recursive through zod 4's getters: walked once, not forever.
  const Tree = z.object({
    name: z.string(),
    get children() {
      return z.array(Tree);
    },
  });
  assert.equal(parsesFresh(Tree), true);
  const input = { name: 'a', children: [{ name: 'b', children: [] }] };
  const out = Tree.parse(input) as typeof input;
  assert.ok(out.children !== input.children && out.children[0] !== input.children[0]);
  const Loose = z.object({
    get children(): z.ZodArray<typeof Loose> {
      return z.array(Loose);
    },
    meta: z.any(),
  });
  assert.equal(parsesFresh(Loose), false);
  assert.equal(parsesFresh(z.string().pipe(z.string().min(1))), true);
});
