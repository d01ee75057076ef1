import { KafkaBroker } from '../../src/brokers/kafka/kafka-broker.ts';
import { KAFKA_HOW, KAFKA_URL, kafkaAvailable } from '../kafka/env.ts';
import { stateBackendSuite } from './state-backend-suite.ts';

stateBackendSuite('kafka', async () => new KafkaBroker(KAFKA_URL), {
  available: kafkaAvailable,
  service: { name: 'kafka', howToGet: KAFKA_HOW },
});
