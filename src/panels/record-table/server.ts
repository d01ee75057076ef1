import type { PanelSpec } from '../../core/app.ts';
import type { StreamRecord } from '../../core/record.ts';
import { getPath } from '../../server/fields.ts';
import type { PanelData } from '../../server/protocol.ts';
import type { ServerPanelType } from '../types.ts';
import { WholeSnapshot } from '../whole-snapshot.ts';
import { type RecordTableData, type RecordTableOptions, type RecordTableRow, recordTableOptions } from './options.ts';

/** A cell as sent: scalars as they are (text cut to 200 characters), anything else as short JSON. */
function cell(v: unknown): string | number | boolean | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** Letters only: the first letter of each field, upper-cased. */
function initialsOf(value: unknown, fields: string[]): string {
  return fields
    .map((f) => getPath(value, f))
    .map((v) => (typeof v === 'string' ? ([...v.trim()][0] ?? '') : ''))
    .join('')
    .toUpperCase();
}

/** Keeps the newest `rows` records, as the cells the page shows (the whole record never travels). */
class RecordTable extends WholeSnapshot {
  readonly topics: string[];
  readonly #spec: PanelSpec;
  readonly #o: RecordTableOptions;
  #rows: RecordTableRow[] = [];
  /**
   * Per partition, the offset after the newest record seen: their sum is how many records the topic has
   * had, however few of them the page loaded (a count of records loaded read "532 seen" beside charts that
   * had learned from 1,590 users, and went down on a reload).
   */
  readonly #ends = new Map<number, number>();

  constructor(spec: PanelSpec, o: RecordTableOptions) {
    super();
    this.#spec = spec;
    this.#o = o;
    this.topics = [spec.topic];
  }

  protected fold(records: StreamRecord[]): boolean {
    let changed = false;
    for (const r of records) {
      if (r.topic !== this.#spec.topic || r.value === null || typeof r.value !== 'object') continue;
      const flag = this.#o.flag;
      this.#rows.push({
        cells: this.#o.columns.map((c) => cell(getPath(r.value, c.field))),
        ...(this.#o.initials ? { initials: initialsOf(r.value, this.#o.initials) } : {}),
        flagged: flag !== undefined && getPath(r.value, flag.field) === flag.equals,
      });
      this.#ends.set(r.partition, Math.max(this.#ends.get(r.partition) ?? 0, r.offset + 1));
      changed = true;
    }
    if (this.#rows.length > this.#o.rows) this.#rows.splice(0, this.#rows.length - this.#o.rows);
    return changed;
  }

  snapshot(): PanelData {
    let total = 0;
    for (const end of this.#ends.values()) total += end;
    const data: RecordTableData = { rows: this.#rows, total };
    return { kind: 'module', type: 'record-table', data };
  }
}

export const recordTableType: ServerPanelType<RecordTableOptions> = {
  name: 'record-table',
  options: recordTableOptions,
  fields: { accepts: {} },
  aggregator: (spec, o) => new RecordTable(spec, o),
};
