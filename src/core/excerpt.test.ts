import assert from 'node:assert/strict';
import { test } from 'node:test';
import { excerpt, looksBinary } from './excerpt.ts';

test('excerpt: JSON-quoted, at most max characters once escaped, every invisible or undecodable one escaped', () => {
  assert.equal(excerpt('time,temp'), '"time,temp"');
  assert.equal(excerpt('abcdef', 3), '"abc"…');
  const binary = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x9b, 0xff, 0x0a]).toString('utf8');
  const shown = excerpt(binary);
  assert.equal(shown, '"\\u007fELF\\u0000\\ufffd\\ufffd\\n"');
  // Read back, the excerpt is the text it came from.
  assert.equal(JSON.parse(shown), binary);
  assert.equal(excerpt('a\u202eb'), '"a\\u202eb"');
  // An escape is never cut in half: 16 NULs are 96 escaped characters, 10 of them fit in 60.
  assert.equal(excerpt('\u0000'.repeat(16)), `"${'\\u0000'.repeat(10)}"…`);
  assert.equal(excerpt('😀'.repeat(50), 4), '"😀😀"…', 'cut by code point, never inside a surrogate pair');
});

test('looksBinary: control characters and undecodable bytes, but not tabs, line ends or accents', () => {
  assert.equal(looksBinary('timestamp,temperature\r\n'), false);
  assert.equal(looksBinary('ville\tcafé\t°F'), false);
  assert.equal(looksBinary('a\u0000b'), true);
  assert.equal(looksBinary(Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('utf8')), true);
});
