import { registerBroker } from '../../core/broker-registry.ts';
import { KafkaBroker } from './kafka-broker.ts';

registerBroker('kafka', (url) => new KafkaBroker(url));

export { parseKafkaUrl } from './config.ts';
export { KafkaBroker } from './kafka-broker.ts';
