import { z } from 'zod';

/**
 * `record-table`: the newest records of a topic, newest first, one column per field, with optional
 * initials (in place of a picture: the page loads nothing from other sites) and rows flagged where a
 * field equals a value (a wrong prediction). Options:
 */
export const recordTableOptions = z.strictObject({
  rows: z.number().int().min(1).max(100).default(10),
  columns: z
    .array(
      z.strictObject({
        field: z.string().min(1),
        label: z.string().optional(),
        /** `date`: an ISO time shown as its day; `percent`: 0..1 shown as %. */
        format: z.enum(['text', 'date', 'percent']).default('text'),
      }),
    )
    .min(1)
    .max(20),
  /** Fields whose first letters make the avatar (first and last name). */
  initials: z.array(z.string().min(1)).min(1).max(3).optional(),
  /** Rows where `field` equals `equals` are marked, with `label` as their title. */
  flag: z
    .strictObject({
      field: z.string().min(1),
      equals: z.union([z.string(), z.number(), z.boolean(), z.null()]),
      label: z.string(),
    })
    .optional(),
});
export type RecordTableOptions = z.infer<typeof recordTableOptions>;

export interface RecordTableRow {
  cells: Array<string | number | boolean | null>;
  initials?: string;
  flagged: boolean;
}

export interface RecordTableData {
  /** Oldest first (the page shows them newest first). */
  rows: RecordTableRow[];
  /** Records the topic has had (the offsets' ends added up), not only those the page loaded. */
  total: number;
}
