import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brokerUrlMeant } from './broker-registry.ts';

test('a --broker without a known scheme gets the URL it plainly meant, and no guess otherwise', () => {
  const both = (s: string) => s === 'local' || s === 'kafka';
  const cases: Array<[string, string | undefined]> = [
    ['/tmp/x/broker.db', 'local:/tmp/x/broker.db'],
    ['data/broker.db', 'local:data/broker.db'],
    ['broker.db', 'local:broker.db'],
    ['C:\\runnel\\broker.db', 'local:C:\\runnel\\broker.db'],
    ['localhost:9092', 'kafka://localhost:9092'],
    ['127.0.0.1:9092,127.0.0.1:9093', 'kafka://127.0.0.1:9092,127.0.0.1:9093'],
    ['[::1]:9092', 'kafka://[::1]:9092'],
    ['kafka//localhost:9092', 'kafka://localhost:9092'],
    ['Kafka:localhost:9092', 'kafka://localhost:9092'],
    // Not plainly a path or an address: a guess of local: would make a broker file of that name.
    ['localhost', undefined],
    ['Kafka', undefined],
    ['mqtt://x', undefined],
    ['', undefined],
  ];
  for (const [url, meant] of cases) assert.equal(brokerUrlMeant(url, both), meant, url);
  // A scheme this build does not have is never suggested.
  assert.equal(
    brokerUrlMeant('localhost:9092', (s) => s === 'local'),
    undefined,
  );
});
