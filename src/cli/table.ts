/**
 * Rows of cells as columns padded to their widest cell, two spaces apart (the first row is the header).
 * With `maxCell`, a longer cell is cut to that many characters, its last one an ellipsis.
 */
export function table(rows: string[][], maxCell = Number.POSITIVE_INFINITY): string {
  const cut = (c: string) => (tooLong(c, maxCell) ? `${[...c].slice(0, maxCell - 1).join('')}…` : c);
  const cells = maxCell === Number.POSITIVE_INFINITY ? rows : rows.map((r) => r.map(cut));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Whether `table` cut any cell of `rows` at `maxCell`. */
export function cutAny(rows: string[][], maxCell: number): boolean {
  return rows.some((r) => r.some((c) => tooLong(c, maxCell)));
}

/** Longer than `max` code points (so an emoji, two UTF-16 units, is never cut in half); length first, cheap. */
const tooLong = (c: string, max: number): boolean => c.length > max && [...c].length > max;
