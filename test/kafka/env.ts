import { kafkaAnswers } from '../../src/brokers/kafka/server.ts';

/** The broker Kafka tests use: RUNNEL_TEST_KAFKA (host:port), else the `runnel kafka start` default. */
export const KAFKA_ADDRESS = process.env.RUNNEL_TEST_KAFKA ?? '127.0.0.1:9092';
export const KAFKA_URL = `kafka://${KAFKA_ADDRESS}`;
export const KAFKA_HOW = 'run: runnel kafka start (or node scripts/kafka/ctl.ts start)';

let answer: Promise<boolean> | undefined;
/** Asked once per test file: does a Kafka broker answer metadata requests there? */
export function kafkaAvailable(): Promise<boolean> {
  answer ??= kafkaAnswers(KAFKA_ADDRESS, 3000);
  return answer;
}
