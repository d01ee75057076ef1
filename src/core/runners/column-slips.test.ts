import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StreamRecord } from '../record.ts';
import { columnSlips } from './column-slips.ts';

const rec = (value: unknown): StreamRecord => ({
  topic: 't',
  partition: 0,
  offset: 0,
  key: null,
  value,
  timestamp: 0,
  headers: {},
});

test('a configured column no record has is named with the field it is a slip of; exact and unrelated ones are not', () => {
  const records = [rec({ country: 'fr', orders: 3 }), rec({ country: 'de', orders: 1, note: 'x' })];
  // A letter dropped, two swapped: said. The fields themselves, and an optional far name: not.
  assert.deepEqual(columnSlips(['contry', 'orders', 'ntoe', 'discount'], records), [
    ['contry', 'country'],
    ['ntoe', 'note'],
  ]);
  assert.deepEqual(columnSlips(['country', 'orders', 'note'], records), []);
  // A near field that is itself a configured column is a column of its own, not a slip.
  assert.deepEqual(columnSlips(['note', 'notes'], [rec({ note: 'x' })]), []);
  // No columns configured, or values that are not objects: nothing to say.
  assert.deepEqual(columnSlips(undefined, records), []);
  assert.deepEqual(columnSlips(['contry'], [rec('a line'), rec([1, 2])]), []);
});
