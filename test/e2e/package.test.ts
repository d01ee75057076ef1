/**
 * What package.json promises an installer: every file its `exports` and `bin` name exists once the package
 * is built (`npm install` builds it), so `import('runnel')` and `npx runnel` never point at nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;

/** Every file path in an exports/bin value, however nested (conditions, subpaths). */
function paths(entry: unknown): string[] {
  if (typeof entry === 'string') return [entry];
  if (entry && typeof entry === 'object') return Object.values(entry).flatMap(paths);
  return [];
}

test('every file package.json exports or runs as a bin exists in the built package', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports?: unknown; bin?: unknown };
  const named = [...paths(pkg.exports), ...paths(pkg.bin)];
  assert.ok(named.length > 0, 'package.json names at least its bin');
  for (const file of named) assert.ok(existsSync(join(root, file)), `package.json names ${file}, which does not exist`);
});
