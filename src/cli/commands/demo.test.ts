import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stopcovidSettings } from '../../apps/stopcovid/index.ts';
import { demoEnv } from './demo.ts';

test('the demo runs stopcovid with 2,000 people unless the environment or .env says otherwise', () => {
  assert.equal(stopcovidSettings(demoEnv({}), 1).sim.people, 2000);
  assert.equal(stopcovidSettings(demoEnv({ STOPCOVID_PEOPLE: '10000' }), 1).sim.people, 10_000);
  // `runnel run stopcovid` does not go through the demo's defaults: the app's own stands.
  assert.equal(stopcovidSettings({}, 1).sim.people, 10_000);
});
