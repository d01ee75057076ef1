import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../connectors/sinks/index.ts';
import { cassandraSink, postgresSinkUrl, schemaName, sinksFor } from './settings.ts';

test('postgres URL: RUNNEL_POSTGRES_URL, then DATABASE_URL, then the seeds POSTGRES_* keys, then loopback', () => {
  const a = 'postgres://a@127.0.0.1:5432/a';
  const b = 'postgres://b@127.0.0.1:5432/b';
  assert.equal(postgresSinkUrl({ RUNNEL_POSTGRES_URL: a, DATABASE_URL: b, POSTGRES_HOST: 'h' }), a);
  assert.equal(postgresSinkUrl({ DATABASE_URL: b, POSTGRES_HOST: 'h' }), b);
  assert.equal(
    postgresSinkUrl({ POSTGRES_HOST: 'db', POSTGRES_USER: 'me', POSTGRES_PASSWORD: 'p@ss/w:rd', POSTGRES_DB: 'x' }),
    'postgres://me:p%40ss%2Fw%3Ard@db:5432/x',
  );
  // The encoded password comes back whole from the URL the driver reads.
  const u = new URL(postgresSinkUrl({ POSTGRES_PASSWORD: 'p@ss/w:rd' }));
  assert.equal(decodeURIComponent(u.password), 'p@ss/w:rd');
  assert.equal(postgresSinkUrl({}), 'postgres://postgres@127.0.0.1:5432/postgres');
});

test('postgres sink of an app: a schema per app, and a target without the password', () => {
  const env = { RUNNEL_POSTGRES_URL: 'postgres://me:hunter2@127.0.0.1:5432/db' };
  const [binding] = sinksFor('my-app', 'my-app.out', 'out', ['postgres'], { dataDir: '/tmp/x', env });
  assert.equal(binding!.sink.target, 'postgres://me@127.0.0.1:5432/db (table my_app.out)');
  assert.equal(schemaName('2fast'), '_2fast');
  const [own] = sinksFor('buzz', 'buzz', 'm', ['postgres'], {
    dataDir: '/tmp/x',
    env: { RUNNEL_POSTGRES_SCHEMA: 'runnel' },
  });
  assert.equal(own!.sink.target, 'postgres://postgres@127.0.0.1:5432/postgres (table runnel.m)');
});

test('cassandra sink of an app: RUNNEL_CASSANDRA or loopback, a keyspace per app, a target without the password', () => {
  const [local] = sinksFor('my-app', 'my-app.out', 'out', ['cassandra'], { dataDir: '/tmp/x', env: {} });
  assert.equal(local!.sink.target, 'cassandra://127.0.0.1:9042 (table my_app.out)');
  const env = {
    RUNNEL_CASSANDRA: '10.0.0.1:9042,10.0.0.2:9042',
    RUNNEL_CASSANDRA_KEYSPACE: 'spark_streams',
    RUNNEL_CASSANDRA_USERNAME: 'cassandra',
    RUNNEL_CASSANDRA_PASSWORD: 'hunter2',
  };
  const [remote] = sinksFor('users', 'users_created', 'created_users', ['cassandra'], { dataDir: '/tmp/x', env });
  assert.equal(remote!.sink.target, 'cassandra://10.0.0.1:9042,10.0.0.2:9042 (table spark_streams.created_users)');
  assert.deepEqual(cassandraSink(env), {
    contactPoints: '10.0.0.1:9042,10.0.0.2:9042',
    username: 'cassandra',
    password: 'hunter2',
  });
  assert.throws(
    () => sinksFor('a', 't', 'x', ['cassandra'], { dataDir: '/tmp/x', env: { RUNNEL_CASSANDRA: 'h:1; DROP' } }),
    /contactPoints/,
  );
});
