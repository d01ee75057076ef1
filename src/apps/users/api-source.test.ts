/** The users app's flattening of API records: a user it cannot flatten is refused for what it lacks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Source, SourceItem } from '../../index.ts';
import { flattening } from './api-source.ts';
import { flattenUser } from './flatten.ts';
import { generateUsers } from './randomuser.ts';

/** A source that yields these values once, as the http source would (with its request as the position). */
function yielding(values: unknown[]): Source {
  return {
    name: 'http test',
    async *read() {
      yield values.map((value, i) => ({ kind: 'record', record: { key: null, value }, position: `GET /api #${i}` }));
    },
  };
}

async function itemsOf(values: unknown[]): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  const ctx = { signal: new AbortController().signal, log: { info() {}, warn() {}, error() {}, debug() {} } };
  for await (const batch of flattening(yielding(values)).read(ctx)) out.push(...batch);
  return out;
}

const reasons = (items: SourceItem[]) => items.map((i) => (i.kind === 'invalid' ? i.error.message : 'record'));

describe('flattening API users', () => {
  it('names the fields a user lacks instead of the JavaScript error flattening it threw', async () => {
    const user = generateUsers({ seed: 'api', page: 1, results: 1 }).results[0]!;
    const { login: _login, ...noLogin } = user;
    const { name: _name, ...noName } = user;
    const items = await itemsOf([user, noLogin, noName, 'Ann', null]);
    assert.deepEqual(reasons(items), [
      'record',
      'GET /api #1: not a randomuser user (it has no login.uuid, login.username)',
      'GET /api #2: not a randomuser user (it has no name.first, name.last)',
      'GET /api #3: not a randomuser user (a string, not an object)',
      'GET /api #4: not a randomuser user (null, not an object)',
    ]);
    const first = items[0]!;
    assert.ok(first.kind === 'record');
    assert.deepEqual(first.record.value, flattenUser(user));
    assert.equal(first.record.key, user.login.uuid);
    const bad = items[1]!;
    assert.ok(bad.kind === 'invalid');
    assert.equal(bad.raw, JSON.stringify(noLogin), 'the user as the API sent it, for inspection');
  });
});
