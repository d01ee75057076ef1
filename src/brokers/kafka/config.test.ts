import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatError, isRunnelError } from '../../core/errors.ts';
import { parseKafkaUrl } from './config.ts';

/** The one line a user sees for a bad URL, asserting it is BROKER_URL_INVALID. */
function refusal(url: string): string {
  try {
    parseKafkaUrl(url);
  } catch (err) {
    assert.ok(isRunnelError(err) && err.code === 'RUNNEL_BROKER_URL_INVALID', String(err));
    return formatError(err);
  }
  assert.fail(`${url} was accepted`);
}

test('a topic in a broker URL: the cluster URL to use instead, and that --from reads topics', () => {
  const line = refusal('kafka://127.0.0.1:9092/buzz');
  assert.doesNotMatch(line, /names no broker/);
  assert.match(line, /names a topic \("buzz"\)/);
  assert.match(line, /a broker URL names a cluster, not a topic: use kafka:\/\/127\.0\.0\.1:9092 /);
  assert.match(line, /--from kafka:\/\/host:port\/topic reads a topic/);
  // The bare trailing slash still names just the cluster.
  assert.deepEqual(parseKafkaUrl('kafka://127.0.0.1:9092/').brokers, ['127.0.0.1:9092']);
});

test('a port outside 1-65535 is a URL error naming the port, not a connection error later', () => {
  assert.match(refusal('kafka://127.0.0.1:99999'), /port 99999 of "127\.0\.0\.1:99999" is not in 1-65535/);
  assert.match(refusal('kafka://a:9092,b:0'), /port 0 of "b:0"/);
  assert.deepEqual(parseKafkaUrl('kafka://a:1,b:65535').brokers, ['a:1', 'b:65535']);
});

test('unknown query parameters are refused with the known ones listed', () => {
  const line = refusal('kafka://127.0.0.1:9092?partitons=3');
  assert.match(line, /unknown parameter "partitons" \(known: partitions, replicationFactor, clientId\)$/);
  assert.match(refusal('kafka://h:1?a=1&b=2&a=3'), /unknown parameters "a", "b" \(known: /);
  assert.equal(parseKafkaUrl('kafka://h:1?partitions=2&replicationFactor=1&clientId=c').partitions, 2);
});
