import type { z } from 'zod';

/**
 * Whether parsing with `schema` always hands back values that share no object with the input: objects
 * (stripping or strict), arrays, records, tuples, unions and the wrappers around them are built anew by
 * zod, and primitives are not shared. Then a step reading a decoded batch that sinks share needs no deep
 * copy of its own (structuredClone cost 11–14% of `run buzz`).
 *
 * Anything that may pass a part of the input through as it is answers false: any, unknown, custom, loose
 * objects or a catchall (unknown keys keep their values), transforms (a function may return its input),
 * loose records, an object default (shallow-copied by zod), catch, lazy (not walked), and types this
 * list does not know.
 */
export function parsesFresh(schema: z.ZodType): boolean {
  try {
    return walk(schema, new Set());
  } catch {
    return false; // a definition this walk cannot read: copy, to be safe
  }
}

/**
 * `walking`: the schemas on the path here. A recursive schema (zod 4's getters) comes back to one of them;
 * that part is then already being answered for, so it adds nothing to the AND.
 */
function walk(schema: z.ZodType, walking: Set<z.ZodType>): boolean {
  if (walking.has(schema)) return true;
  const def = (schema as unknown as { _zod?: { def?: Def } })._zod?.def;
  if (!def) return false; // not a zod 4 schema: copy, to be safe
  walking.add(schema);
  try {
    return walkDef(def, (s) => walk(s, walking));
  } finally {
    walking.delete(schema);
  }
}

function walkDef(def: Def, parsesFresh: (s: z.ZodType) => boolean): boolean {
  switch (def.type) {
    case 'string':
    case 'number':
    case 'int':
    case 'boolean':
    case 'bigint':
    case 'null':
    case 'undefined':
    case 'void':
    case 'never':
    case 'nan':
    case 'literal':
    case 'enum':
    case 'template_literal':
    case 'date': // never in decoded JSON: a value that parses is not from a batch
      return true;
    case 'object':
      return (
        (def.catchall === undefined || def.catchall._zod.def.type === 'never') &&
        Object.values(def.shape ?? {}).every(parsesFresh)
      );
    case 'array':
      return parsesFresh(def.element!);
    case 'tuple':
      return (def.items ?? []).every(parsesFresh) && (def.rest == null || parsesFresh(def.rest));
    case 'record':
      // A loose record keeps the values of keys its key type refuses as they are.
      return def.mode !== 'loose' && parsesFresh(def.keyType!) && parsesFresh(def.valueType!);
    case 'union':
      return (def.options ?? []).every(parsesFresh);
    case 'intersection':
      return parsesFresh(def.left!) && parsesFresh(def.right!);
    case 'pipe':
      return parsesFresh(def.in!) && parsesFresh(def.out!);
    case 'default':
    case 'prefault':
      return !isObject(def.defaultValue) && parsesFresh(def.innerType!);
    case 'optional':
    case 'nullable':
    case 'nonoptional':
    case 'readonly':
      return parsesFresh(def.innerType!);
    default:
      return false;
  }
}

/** The parts of zod 4's schema definitions the walk reads. */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType & { _zod: { def: Def } };
  element?: z.ZodType;
  items?: z.ZodType[];
  rest?: z.ZodType | null;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  mode?: string;
  options?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  innerType?: z.ZodType;
  defaultValue?: unknown;
}

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null;

const known = new WeakMap<z.ZodType, boolean>();
/** parsesFresh, walked once per schema. */
export function parsesFreshCached(schema: z.ZodType): boolean {
  let fresh = known.get(schema);
  if (fresh === undefined) {
    fresh = parsesFresh(schema);
    known.set(schema, fresh);
  }
  return fresh;
}
