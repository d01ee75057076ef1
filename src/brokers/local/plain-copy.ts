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
