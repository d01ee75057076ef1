import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseKafkaUrl } from '../../src/brokers/kafka/config.ts';
import { KafkaBroker } from '../../src/brokers/kafka/kafka-broker.ts';
import { layout, newClusterId, writeServerConfig } from '../../src/brokers/kafka/provision.ts';
import { createBroker } from '../../src/core/broker-registry.ts';
import { formatError, isRunnelError } from '../../src/core/errors.ts';
import { unique } from '../broker-conformance/suite.ts';
import { needService } from '../helpers/services.ts';
import '../../src/brokers/index.ts';
import { KAFKA_ADDRESS, KAFKA_HOW, kafkaAvailable } from './env.ts';

test('kafka URLs: one or more host:port, options in the query, bad ones named', () => {
  assert.deepEqual(parseKafkaUrl('kafka://127.0.0.1:9092'), {
    brokers: ['127.0.0.1:9092'],
    partitions: 1,
    replicationFactor: 1,
    clientId: 'runnel',
  });
  assert.deepEqual(parseKafkaUrl('kafka://a:1,b:2?partitions=3&replicationFactor=2&clientId=x'), {
    brokers: ['a:1', 'b:2'],
    partitions: 3,
    replicationFactor: 2,
    clientId: 'x',
  });
  assert.deepEqual(parseKafkaUrl('kafka://broker').brokers, ['broker:9092']);
  for (const bad of ['kafka://', 'kafka://a:b', 'kafka://a:1?partitions=0']) {
    assert.throws(
      () => parseKafkaUrl(bad),
      (e: unknown) => isRunnelError(e) && e.code === 'RUNNEL_BROKER_URL_INVALID',
    );
  }
});

test('the registry maps kafka:// to the Kafka broker', async () => {
  const b = await createBroker('kafka://127.0.0.1:9092');
  assert.equal(b.kind, 'kafka');
  await b.close();
});

test('connect to a dead address fails fast with one line naming it and how to start Kafka', async () => {
  // A port that was just free: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const b = new KafkaBroker(`kafka://127.0.0.1:${port}`);
  await assert.rejects(b.connect(), (e: unknown) => {
    const line = formatError(e);
    assert.match(line, new RegExp(`^RUNNEL_BROKER_UNAVAILABLE: cannot reach Kafka at 127\\.0\\.0\\.1:${port}`));
    // Its port, as `runnel kafka start` needs it to start a broker there.
    assert.match(line, new RegExp(`start one with: runnel kafka start --port ${port}$`));
    assert.ok(!line.includes('\n'));
    assert.equal((e as { retriable: boolean }).retriable, true);
    return true;
  });
  await b.close();
});

test('server.properties: single-node KRaft on 127.0.0.1, controller on port+1; cluster ids Kafka accepts', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-kafka-cfg-'));
  const l = layout({ port: 19500, dataDir });
  writeServerConfig(l);
  const text = readFileSync(l.configFile, 'utf8');
  assert.match(text, /^process\.roles=broker,controller$/m);
  assert.match(text, /^listeners=PLAINTEXT:\/\/127\.0\.0\.1:19500,CONTROLLER:\/\/127\.0\.0\.1:19501$/m);
  assert.match(text, /^controller\.quorum\.voters=1@127\.0\.0\.1:19501$/m);
  assert.ok(text.includes(`log.dirs=${join(dataDir, 'kraft-logs')}`));
  const settings = text.split('\n').filter((line) => !line.startsWith('#'));
  assert.ok(!settings.some((line) => line.includes('{{')), 'every placeholder filled');
  for (let i = 0; i < 200; i++) {
    const id = newClusterId();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  }
  assert.throws(() => layout({ port: 70000 }), /port must be/);
});

test("more replicas than brokers: one CONFIG_INVALID line with Kafka's words and ?replicationFactor=, no topic", async (t) => {
  if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return;
  // 100 replicas: more brokers than any test cluster has, single-node or not.
  const b = new KafkaBroker(`kafka://${KAFKA_ADDRESS}?replicationFactor=100`);
  const topic = unique('rf3');
  try {
    await assert.rejects(b.createTopic(topic), (e: unknown) => {
      assert.ok(isRunnelError(e));
      assert.equal(e.code, 'RUNNEL_CONFIG_INVALID');
      const line = formatError(e);
      assert.ok(!line.includes('\n'), line);
      assert.match(line, new RegExp(`^RUNNEL_CONFIG_INVALID: create topic ${topic}: Kafka at .* refused it: `));
      assert.match(line, /replication factor of 100 cannot be reached because only \d+ broker\(s\) are registered/);
      assert.match(line, /set \?replicationFactor= in the kafka:\/\/ URL/);
      return true;
    });
    assert.equal(await b.describeTopic(topic), undefined);
  } finally {
    await b.close();
  }
});
