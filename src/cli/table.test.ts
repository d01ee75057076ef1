import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { cutAny, table } from './table.ts';

const grid = fc.integer({ min: 1, max: 5 }).chain((cols) =>
  fc.array(
    fc.array(fc.string({ maxLength: 30, unit: fc.constantFrom('a', 'b', ' ', 'é', '😀') }), {
      minLength: cols,
      maxLength: cols,
    }),
    {
      minLength: 1,
      maxLength: 6,
    },
  ),
);

test('table: columns line up, and a cell longer than maxCell is its first characters and an ellipsis (property)', () => {
  fc.assert(
    fc.property(grid, fc.integer({ min: 2, max: 40 }), (rows, maxCell) => {
      const lines = table(rows, maxCell).split('\n');
      assert.equal(lines.length, rows.length);
      const shown = rows.map((r) =>
        r.map((c) => ([...c].length > maxCell ? `${[...c].slice(0, maxCell - 1).join('')}…` : c)),
      );
      const widths = shown[0]!.map((_, i) => Math.max(...shown.map((r) => r[i]!.length)));
      // Each line is its shown cells, each padded to its column's widest, two spaces apart.
      lines.forEach((line, i) => {
        const expected = shown[i]!.map((c, j) => c.padEnd(widths[j]!))
          .join('  ')
          .trimEnd();
        assert.equal(line, expected);
      });
      assert.equal(
        cutAny(rows, maxCell),
        rows.flat().some((c) => [...c].length > maxCell),
      );
      // No half of a surrogate pair is ever printed.
      assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(table(rows, maxCell)), 'no lone high surrogate');
      // Without maxCell nothing is cut.
      assert.equal(table(rows), table(rows, Number.POSITIVE_INFINITY));
      assert.ok(
        table(rows)
          .split('\n')
          .every((l, i) => rows[i]!.every((c) => l.includes(c.trimEnd()))),
      );
    }),
  );
});
