import assert from 'node:assert/strict';
import { test } from 'node:test';
import { missingTopicMessage } from './inspect.ts';

const many = Array.from({ length: 100 }, (_, i) => `load-${String(i).padStart(3, '0')}`);

test('a missing topic on a cluster of ~100 topics: one line, ten names at most, then how many more', () => {
  const line = missingTopicMessage('laod-042', 'kafka://127.0.0.1:9092', [...many, '__consumer_offsets']);
  assert.ok(!line.includes('\n'));
  const listed = /\(closest topics: (.*) and (\d+) more\)$/.exec(line);
  assert.ok(listed, line);
  const names = listed[1]!.split(', ');
  assert.equal(names.length, 10);
  assert.equal(names[0], 'load-042');
  assert.equal(Number(listed[2]), 90);
  assert.ok(line.length < 250, `${line.length} chars`);
  assert.equal(
    missingTopicMessage('nope', 'local:x.db', ['a', 'b']),
    'topic "nope" does not exist on local:x.db (topics: a, b)',
  );
  assert.equal(
    missingTopicMessage('nope', 'local:x.db', []),
    'topic "nope" does not exist on local:x.db (topics: none)',
  );
});
