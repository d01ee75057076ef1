/**
 * `POST /api/apps/users/predict` and `/add` through the dashboard server (app.inject): validated input,
 * size limits, the Host/Origin/token checks of every route, and answers equal to the model snapshot's
 * own predictions, computed here from a model trained in the test.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { FlatUserSchema, flattenUser } from '../../src/apps/users/flatten.ts';
import { usersApp } from '../../src/apps/users/index.ts';
import { GenderModel } from '../../src/apps/users/model.ts';
import { generateUsers } from '../../src/apps/users/randomuser.ts';
import { createDashboard } from '../../src/server/index.ts';
import { tempBroker } from './fixtures.ts';

const { broker } = await tempBroker();
after(() => broker.close());
const HOST = { host: '127.0.0.1:8080' };
const JSON_HEADERS = { ...HOST, 'content-type': 'application/json' };

function trainedModel(): GenderModel {
  const m = new GenderModel();
  for (let page = 1; page <= 10; page++) {
    for (const u of generateUsers({ seed: 'actions', page, results: 100 }).results) m.learn(u.name.first, u.gender);
  }
  return m;
}

describe('users actions on a loopback dashboard', () => {
  const d = createDashboard({ broker, apps: [usersApp], port: 8080, env: {} });
  after(() => d.stop());
  const post = (url: string, body: unknown, headers: Record<string, string> = JSON_HEADERS) =>
    d.app.inject({ method: 'POST', url, headers, payload: typeof body === 'string' ? body : JSON.stringify(body) });

  test('before any model snapshot: 503 RUNNEL_NOT_READY-style answer, not a guess', async () => {
    const res = await post('/api/apps/users/predict', { name: 'Maria' });
    assert.equal(res.statusCode, 503);
    assert.match(res.json<{ error: string }>().error, /not learned/);
  });

  test('bad requests are refused with a reason: wrong type, missing, too long, markup, extra fields, not JSON', async () => {
    const cases: Array<[unknown, number]> = [
      [{}, 400],
      [{ name: '' }, 400],
      [{ name: 42 }, 400],
      [{ name: 'x'.repeat(101) }, 400],
      [{ name: '<script>alert(1)</script>' }, 400],
      [{ name: 'Ann', extra: 1 }, 400],
      ['[1,2', 400],
    ];
    for (const [body, status] of cases) {
      const res = await post('/api/apps/users/predict', body);
      assert.equal(res.statusCode, status, JSON.stringify(body));
      assert.ok(res.json<{ error: string }>().error.length > 0);
    }
    const form = await post('/api/apps/users/predict', 'name=Ann', {
      ...HOST,
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(form.statusCode, 415, 'a plain form post (no preflight) is refused');
    // In the API's words, saying what to send (it was Fastify's FST_ERR_CTP_INVALID_MEDIA_TYPE).
    assert.deepEqual(form.json(), { error: 'send the body as JSON (Content-Type: application/json)' });
    assert.deepEqual((await post('/api/apps/users/predict', '[1,2')).json(), { error: 'the body is not valid JSON' });
    const big = await post('/api/apps/users/predict', { name: 'A', pad: 'x'.repeat(20_000) });
    assert.equal(big.statusCode, 413, 'body over 16 KiB');
    assert.deepEqual(big.json(), { error: 'the body is too large (16 KB at most)' });
    assert.equal((await post('/api/apps/users/nothing', { name: 'Ann' })).statusCode, 404);
    assert.equal((await post('/api/apps/nobody/predict', { name: 'Ann' })).statusCode, 404);
  });

  test("a refusal says what is wrong in the form's words, not the schema's", async () => {
    const cases: Array<[string, unknown, string]> = [
      // The page leaves an empty field out of the body: "Invalid input: expected string, received undefined".
      ['add', { first_name: 'Ann', gender: 'female' }, 'last name is required'],
      ['add', { last_name: 'Lind', gender: 'female' }, 'first name is required'],
      ['add', { first_name: ' ', last_name: 'Lind', gender: 'female' }, 'first name is required'],
      ['add', { first_name: 'Ann', last_name: 'Lind', gender: 'other' }, 'gender must be one of male, female'],
      [
        'add',
        { first_name: 'A'.repeat(101), last_name: 'Lind', gender: 'male' },
        'first name must be at most 100 characters',
      ],
      ['add', { first_name: 'Ann', last_name: 7, gender: 'male' }, 'last name must be text'],
      ['predict', {}, 'name is required'],
      ['predict', { name: '<b>' }, 'name must be letters, spaces, apostrophes and hyphens only'],
    ];
    for (const [action, body, error] of cases) {
      const res = await post(`/api/apps/users/${action}`, body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.equal(res.json<{ error: string }>().error, error, JSON.stringify(body));
    }
  });

  test('Host and Origin checks hold on the action routes', async () => {
    const evilHost = await post(
      '/api/apps/users/predict',
      { name: 'Ann' },
      { host: 'evil.example:8080', 'content-type': 'application/json' },
    );
    assert.equal(evilHost.statusCode, 403);
    const evilOrigin = await post(
      '/api/apps/users/add',
      { first_name: 'A', last_name: 'B', gender: 'male' },
      {
        ...JSON_HEADERS,
        origin: 'http://evil.example',
      },
    );
    assert.equal(evilOrigin.statusCode, 403);
    const crossSite = await post(
      '/api/apps/users/predict',
      { name: 'Ann' },
      { ...JSON_HEADERS, 'sec-fetch-site': 'cross-site' },
    );
    assert.equal(crossSite.statusCode, 403);
  });

  test('predict answers from the newest snapshot exactly as that model predicts', async () => {
    const model = trainedModel();
    await broker.produce('users_created.model', [
      { key: 'model', value: { seen: model.seen, model: model.toState() } },
    ]);
    for (const name of ['Maria', 'John', 'Ingrid', 'Mehmet', 'Zoë', "D'Arcy"]) {
      const res = await post('/api/apps/users/predict', { name });
      assert.equal(res.statusCode, 200, res.body);
      const want = model.predict(name);
      const got = res.json<{ predicted_gender: string; probability: number; p_female: number; seen: number }>();
      assert.equal(got.predicted_gender, want.label);
      assert.equal(got.p_female, want.pFemale);
      assert.equal(got.probability, want.label === 'female' ? want.pFemale : 1 - want.pFemale);
      assert.equal(got.seen, 1000);
    }
  });

  test('add puts a valid flat user on users_created and answers the prediction for it', async () => {
    const res = await post('/api/apps/users/add', {
      first_name: 'Sofia',
      last_name: 'Lind',
      gender: 'female',
      email: 'sofia@example.com',
      address: '1 Main St, Oslo, Oslo, Norway',
    });
    assert.equal(res.statusCode, 200, res.body);
    const answer = res.json<{ user: { id: string }; prediction: { predicted_gender: string } }>();
    const info = await broker.describeTopic('users_created');
    const [rec] = await broker.read('users_created', 0, info!.partitions[0]!.endOffset - 1, 1);
    assert.equal(rec!.key, answer.user.id);
    assert.ok(FlatUserSchema.safeParse(rec!.value).success);
    assert.equal(answer.prediction.predicted_gender, trainedModel().predict('Sofia').label);
    const bad = await post('/api/apps/users/add', { first_name: 'A', last_name: 'B', gender: 'other' });
    assert.equal(bad.statusCode, 400);
    // The generator's own users fit the same schema (what the form writes is what the source writes).
    assert.ok(
      FlatUserSchema.safeParse(flattenUser(generateUsers({ seed: 's', page: 1, results: 1 }).results[0]!)).success,
    );
  });
});

describe('users actions behind a token', () => {
  const d = createDashboard({ broker, apps: [usersApp], host: '0.0.0.0', port: 8080, token: 't0ken-t0ken', env: {} });
  after(() => d.stop());
  test('no token: 401; with it: answered', async () => {
    const url = '/api/apps/users/predict';
    const payload = JSON.stringify({ name: 'Ann' });
    const none = await d.app.inject({ method: 'POST', url, headers: JSON_HEADERS, payload });
    assert.equal(none.statusCode, 401);
    const ok = await d.app.inject({
      method: 'POST',
      url,
      headers: { ...JSON_HEADERS, authorization: 'Bearer t0ken-t0ken' },
      payload,
    });
    assert.equal(ok.statusCode, 200, ok.body);
  });
});
