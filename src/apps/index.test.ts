import assert from 'node:assert/strict';
import { test } from 'node:test';
import { editDistance } from '../core/closest-names.ts';
import { isRunnelError } from '../core/errors.ts';
import { apps, findApp } from './index.ts';

const messageFor = (name: string): string => {
  try {
    findApp(name);
  } catch (err) {
    assert.ok(isRunnelError(err) && err.code === 'RUNNEL_UNKNOWN_APP', String(err));
    return err.message;
  }
  assert.fail(`${name} was found`);
};

test('an unknown app names every app, and the one meant when it is a slip of two edits at most', () => {
  const names = apps.map((a) => a.name);
  for (const app of names) {
    // Every one-edit slip of every app's name: a letter dropped, doubled or changed; and another case.
    const slips = [
      ...Array.from({ length: app.length }, (_, i) => app.slice(0, i) + app.slice(i + 1)),
      ...Array.from({ length: app.length }, (_, i) => app.slice(0, i + 1) + app.slice(i)),
      ...Array.from({ length: app.length }, (_, i) => `${app.slice(0, i)}x${app.slice(i + 1)}`),
      app.toUpperCase(),
    ].filter((s) => !names.includes(s));
    for (const slip of slips) {
      const m = messageFor(slip);
      assert.ok(m.endsWith(`known: ${names.join(', ')})`), m);
      // The suggestion is the nearest name (another app may be as near as the one slipped from).
      const nearest = Math.min(...names.map((n) => editDistance(slip.toLowerCase(), n)));
      const said = /did you mean "([a-z]+)"\?/.exec(m)?.[1];
      assert.ok(said !== undefined, m);
      assert.equal(editDistance(slip.toLowerCase(), said), nearest, m);
    }
  }
  // Nothing near: no guess.
  assert.equal(messageFor('weather'), `unknown app "weather" (known: ${names.join(', ')})`);
});
