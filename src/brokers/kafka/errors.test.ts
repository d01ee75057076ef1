import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHint } from './errors.ts';

test('the hint for an unreachable Kafka: start one here only when the address is this machine', () => {
  for (const host of ['127.0.0.1', 'localhost', '127.0.1.1', '[::1]']) {
    assert.equal(startHint(`${host}:9092`), 'start one with: runnel kafka start', host);
    assert.equal(startHint(`${host}:19092`), 'start one with: runnel kafka start --port 19092', host);
  }
  for (const address of ['kafka.internal:9092', '10.0.0.7:9092', 'broker-1:9092,broker-2:9092']) {
    const hint = startHint(address);
    assert.ok(!hint.includes('runnel kafka start'), `${address}: ${hint}`);
    assert.ok(hint.includes(address), hint);
  }
});
