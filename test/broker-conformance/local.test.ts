import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import { runBrokerConformance } from './suite.ts';

// One broker file for the whole suite, opened anew per test as Kafka is: tests share it the way they
// share a Kafka cluster, each with its own topics and groups.
const file = join(mkdtempSync(join(tmpdir(), 'runnel-conformance-')), 'broker.db');
runBrokerConformance('local', async () => new LocalBroker(`local:${file}`));
