/** Event time from input data, shared by the sources that read it from a column or a field. */

/** Zone-less timestamps (`2025-01-01 15:00:00`, the seeds' format) are UTC, so replays do not depend on the machine's zone. */
export function parseTimestamp(text: string): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) < 1e11 ? Number(s) * 1000 : Number(s);
  const iso = s.includes('T') ? s : s.replace(' ', 'T');
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(iso) ? iso : `${iso}Z`;
  return Date.parse(zoned);
}

/** `value[field]` as ms since the epoch, or `fallback` when the field is absent or not a time. */
export function eventTime(value: unknown, field: string | undefined, fallback: number): number {
  if (field === undefined || value === null || typeof value !== 'object') return fallback;
  const t = (value as Record<string, unknown>)[field];
  const parsed = typeof t === 'string' || typeof t === 'number' ? parseTimestamp(String(t)) : Number.NaN;
  return Number.isFinite(parsed) ? parsed : fallback;
}
