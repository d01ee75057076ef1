// Registers every broker by URL scheme. Kafka's client is imported only when a kafka:// URL is used.
import './local/index.ts';
import { registerBroker } from '../core/broker-registry.ts';

registerBroker('kafka', async (url) => {
  const { KafkaBroker } = await import('./kafka/kafka-broker.ts');
  return new KafkaBroker(url);
});
