import type { StreamRecord } from '../core/record.ts';
import { valueAt } from '../core/value-path.ts';
import type { RecordView } from './protocol.ts';

/** Bigger values go to the browser as a preview; the full record is fetched when the user opens it. */
export const PREVIEW_BYTES = 8192;

export function toView(r: StreamRecord, maxBytes = PREVIEW_BYTES): RecordView {
  const base = { partition: r.partition, offset: r.offset, key: r.key, timestamp: r.timestamp, headers: r.headers };
  const json = JSON.stringify(r.value) ?? 'null';
  if (json.length <= maxBytes) return { ...base, value: r.value };
  return { ...base, value: `${json.slice(0, maxBytes)}…`, truncated: true };
}

/**
 * `text` matches the key or anywhere in the value; `key:abc` only the key; `field=value` one field
 * (dot path) containing the text. Case-insensitive, plain substring: no regex from the network.
 */
export function recordFilter(filter: string): (r: StreamRecord) => boolean {
  const f = filter.trim();
  if (f === '') return () => true;
  const lower = (s: unknown) => (typeof s === 'string' ? s : (JSON.stringify(s) ?? '')).toLowerCase();
  if (f.startsWith('key:')) {
    const want = f.slice(4).trim().toLowerCase();
    return (r) => (r.key ?? '').toLowerCase().includes(want);
  }
  const eq = /^([\w.$-]+)\s*=\s*(.*)$/.exec(f);
  if (eq) {
    const path = eq[1]!.split('.');
    const want = eq[2]!.toLowerCase();
    return (r) => {
      const cur = valueAt(r.value, path);
      return cur !== undefined && lower(cur).includes(want);
    };
  }
  const want = f.toLowerCase();
  return (r) => (r.key ?? '').toLowerCase().includes(want) || lower(r.value).includes(want);
}
