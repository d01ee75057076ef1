/** docs/errors.md documents every error code exactly once, and nothing else (Fastify's catalogue test). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ErrorCodes } from '../src/core/errors.ts';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
const rows = [...doc.matchAll(/^\| `(RUNNEL_[A-Z_]+)` \|(.*)$/gm)];

test('every error code has one row in docs/errors.md with its meaning and what to do', () => {
  for (const code of Object.values(ErrorCodes)) {
    const mine = rows.filter((r) => r[1] === code);
    assert.equal(mine.length, 1, `${code}: ${mine.length} rows in docs/errors.md (add one)`);
    const cells = mine[0]![2]!.split('|').map((c) => c.trim());
    assert.ok(
      cells.slice(0, 3).every((c) => c.length > 0),
      `${code}: a row needs meaning, retried, what to do`,
    );
  }
});

test('docs/errors.md has no row for a code that does not exist', () => {
  const known = new Set<string>(Object.values(ErrorCodes));
  for (const r of rows)
    assert.ok(known.has(r[1]!), `docs/errors.md documents ${r[1]}, which src/core/errors.ts does not have`);
});
