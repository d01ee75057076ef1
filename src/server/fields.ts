import { valueAt } from '../core/value-path.ts';

/** Reads a dot path (`length.histogram`) from a record value, the whole value without one (see valueAt). */
export function getPath(value: unknown, path: string | undefined): unknown {
  return path === undefined ? value : valueAt(value, path);
}

export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}

/** A plain `{ name: count }` object (the shape of `byAuthor`, `length.histogram`). */
export function asCounts(v: unknown): Record<string, number> | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) {
    const num = asNumber(n);
    if (num !== undefined) out[k] = num;
  }
  return out;
}
