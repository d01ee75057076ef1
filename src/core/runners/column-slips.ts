import { slipOf } from '../closest-names.ts';
import type { StreamRecord } from '../record.ts';

/**
 * Configured columns that no record of a batch has, each with the field of those records it is likely a
 * slip of (`contry` for `country`). A trial's misspelt column stayed empty for a whole run, in silence. A
 * column with no such near field is left alone: an optional field may be absent from a whole batch.
 */
export function columnSlips(columns: string[] | undefined, records: StreamRecord[]): Array<[string, string]> {
  if (!columns || columns.length === 0) return [];
  const fields = new Set<string>();
  for (const r of records)
    if (r.value !== null && typeof r.value === 'object' && !Array.isArray(r.value))
      for (const k of Object.keys(r.value)) fields.add(k);
  if (fields.size === 0) return [];
  const out: Array<[string, string]> = [];
  for (const c of columns) {
    if (fields.has(c)) continue;
    const slip = slipOf(c, fields);
    if (slip !== undefined && !columns.includes(slip)) out.push([c, slip]);
  }
  return out;
}
