import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceFlat, referenceUsers } from '../../../test/helpers/users-replay.ts';
import { TestDriver } from '../../testing/index.ts';
import { usersApp } from './index.ts';

test('a run of fewer users than USERS_METRICS_EVERY still gets its row of the learning curve, equal to the reference', async () => {
  const n = 3 + Math.floor(Math.random() * 6); // 3..8, below the default 10
  const driver = await TestDriver.forApp(usersApp);
  driver.pipe(
    'users_created',
    referenceFlat('5', 100, n).map((u) => ({ key: u.id, value: u })),
  );
  const rows = driver.values<{ seen: number; accuracy: number; baselineAccuracy: number }>('users_created.metrics');
  const want = referenceUsers('5', 100, n);
  assert.equal(rows.length, 1, JSON.stringify(rows));
  assert.equal(rows[0]!.seen, n);
  assert.equal(rows[0]!.accuracy, want.metrics.accuracy);
  assert.equal(rows[0]!.baselineAccuracy, want.metrics.baselineAccuracy);
});
