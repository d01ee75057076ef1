/**
 * The value at a dot path (`location.street.name`) or a list of keys inside a JSON value; '' (or no keys)
 * is the value itself, anything missing on the way undefined. Own properties only, so `__proto__` reads
 * nothing. Panels' fields, an HTTP answer's records path, a request's refused field and a user's needed
 * fields are all read with it.
 */
export function valueAt(value: unknown, path: string | readonly PropertyKey[]): unknown {
  const keys = typeof path === 'string' ? (path === '' ? [] : path.split('.')) : path;
  let cur = value;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, k)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}
