import assert from 'node:assert/strict';
import { test } from 'node:test';
import { usersSettings, usersTopics } from './settings.ts';

test('users settings: defaults, the seed pace, topics after USERS_TOPIC, --rate and --api win', () => {
  const d = usersSettings({ env: {} });
  assert.deepEqual(
    { pageSize: d.pageSize, rate: d.rate, metricsEvery: d.metricsEvery, api: d.api, count: d.count },
    { pageSize: 100, rate: 5, metricsEvery: 10, api: undefined, count: undefined },
  );
  assert.equal(usersSettings({ env: { USERS_INTERVAL_SECONDS: '10' } }).rate, 0.1, "the seed's one user per 10 s");
  assert.equal(usersSettings({ env: { USERS_INTERVAL_SECONDS: '10' }, rate: 0 }).rate, 0);
  assert.equal(usersSettings({ env: { RANDOMUSER_URL: 'http://a/' }, api: 'http://b/' }).api, 'http://b/');
  assert.deepEqual(usersTopics({ USERS_TOPIC: 't' }), {
    users: 't',
    predicted: 't.predicted',
    metrics: 't.metrics',
    model: 't.model',
  });
});

test('users settings: out-of-range values are refused naming the key', () => {
  for (const [env, key] of [
    [{ USERS_PAGE_SIZE: '5001' }, 'USERS_PAGE_SIZE'],
    [{ USERS_PAGE_SIZE: '0' }, 'USERS_PAGE_SIZE'],
    [{ USERS_NAT: 'FR,XX' }, 'USERS_NAT'],
    [{ USERS_COUNT: '-1' }, 'USERS_COUNT'],
    [{ USERS_INTERVAL_SECONDS: 'soon' }, 'USERS_INTERVAL_SECONDS'],
  ] as const) {
    assert.throws(() => usersSettings({ env }), new RegExp(key));
  }
  assert.equal(usersSettings({ env: { USERS_NAT: 'fr, de' } }).nat, 'FR,DE');
});
