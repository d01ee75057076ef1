/** What plainCopy answers for a value JSON would not give back as it is. */
export const NOT_PLAIN: unique symbol = Symbol('not plain');

/**
 * A copy of `v` equal to `JSON.parse(JSON.stringify(v))`, or NOT_PLAIN when that would differ from `v`
 * (undefined, a non-finite number, a Date or a class instance, toJSON, a `__proto__` key) or `v` is deeper
 * than JSON is worth walking. The local broker keeps such copies of what it appends, so readers in the same
 * process get the records without parsing what was just serialised; a record that is not plain is read
 * back and parsed as before.
 */
export function plainCopy(v: unknown, depth = 0): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      // -0 goes through JSON as 0.
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : NOT_PLAIN;
    case 'object': {
      if (v === null) return null;
      if (depth > 64) return NOT_PLAIN;
      if (Array.isArray(v)) {
        // JSON writes an array with toJSON (its own, or a subclass's) as what that returns.
        if (Object.getPrototypeOf(v) !== Array.prototype || 'toJSON' in v) return NOT_PLAIN;
        const out = new Array<unknown>(v.length);
        for (let i = 0; i < v.length; i++) {
          const c = plainCopy(v[i], depth + 1);
          if (c === NOT_PLAIN || c === undefined) return NOT_PLAIN;
          out[i] = c;
        }
        return out;
      }
      const proto = Object.getPrototypeOf(v);
      if ((proto !== Object.prototype && proto !== null) || 'toJSON' in v) return NOT_PLAIN;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        if (k === '__proto__') return NOT_PLAIN;
        const c = plainCopy((v as Record<string, unknown>)[k], depth + 1);
        if (c === NOT_PLAIN || c === undefined) return NOT_PLAIN;
        out[k] = c;
      }
      return out;
    }
    default:
      return NOT_PLAIN;
  }
}

/**
 * Whether `v` is what `JSON.parse(JSON.stringify(v))` gives back, equal to it (plainCopy would copy it, not
 * say NOT_PLAIN), checked without copying it: the test for keeping a value handed over as it is.
 * Properties JSON leaves out and this does not look for (symbol keys, non-enumerable ones, named
 * properties of an array) are for the caller to rule out: a source's values parsed or built per record
 * have none.
 */
export function isPlain(v: unknown, depth = 0): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      // -0 comes back from JSON as 0.
      return Number.isFinite(v) && (v !== 0 || 1 / v > 0);
    case 'object': {
      if (v === null) return true;
      if (depth > 64) return false;
      if (Array.isArray(v)) {
        // JSON writes an array with toJSON (its own, or a subclass's) as what that returns.
        if (Object.getPrototypeOf(v) !== Array.prototype || 'toJSON' in v) return false;
        // A hole reads as undefined, which JSON turns into null.
        for (let i = 0; i < v.length; i++) if (!(i in v) || !isPlain(v[i], depth + 1)) return false;
        return true;
      }
      // A null-prototype object comes back from JSON with Object.prototype: equal in value, not in kind.
      if (Object.getPrototypeOf(v) !== Object.prototype || 'toJSON' in v || Object.hasOwn(v, '__proto__')) return false;
      // for-in, not Object.values: no array made per object, 1.6× faster on buzz's records. With the
      // prototype Object.prototype it also visits any enumerable property someone added there, which JSON
      // leaves out: a stricter check, never a looser one. A getter is read once here and once by JSON: one
      // that gives another value each time is the caller's to rule out.
      for (const k in v) if (!isPlain((v as Record<string, unknown>)[k], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}
