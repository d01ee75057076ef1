import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closestNames } from './closest-names.ts';

const many = Array.from({ length: 100 }, (_, i) => `load-${String(i).padStart(3, '0')}`);

test('closest names first: containment, then edit distance, then shared prefix; internal names left out', () => {
  const names = [
    ...many,
    'smoker.alerts',
    'smoker.readings',
    'buzz',
    'buzz.stats',
    '__consumer_offsets',
    '_runnel.status',
  ];
  assert.deepEqual(closestNames('smoker', names, 2), { shown: ['smoker.alerts', 'smoker.readings'], more: 102 });
  assert.deepEqual(closestNames('buz', names, 2).shown, ['buzz', 'buzz.stats']);
  assert.deepEqual(closestNames('smokre.alerts', names, 1).shown, ['smoker.alerts']);
  assert.deepEqual(closestNames('Buzz', names, 1).shown, ['buzz']);
  assert.ok(!closestNames('x', names, 200).shown.some((n) => n.startsWith('_')));
  assert.deepEqual(closestNames('_runnel.statu', names, 1).shown, ['_runnel.status']);
});
