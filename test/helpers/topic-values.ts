import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import type { Broker } from '../../src/core/broker.ts';

/** Every value on `topic`, partition by partition, each in offset order. */
export async function topicValues<T = unknown>(broker: Broker, topic: string): Promise<T[]> {
  const out: T[] = [];
  for (const p of (await broker.describeTopic(topic))?.partitions ?? []) {
    for (let at = p.startOffset; at < p.endOffset; ) {
      const got = await broker.read(topic, p.partition, at, 5000);
      if (got.length === 0) break;
      for (const r of got) out.push(r.value as T);
      at = got.at(-1)!.offset + 1;
    }
  }
  return out;
}

/** The same, from a local broker file opened for the read (`local:<path>`). */
export async function localTopicValues<T = unknown>(brokerUrl: string, topic: string): Promise<T[]> {
  const b = new LocalBroker(brokerUrl);
  await b.connect();
  try {
    return await topicValues<T>(b, topic);
  } finally {
    await b.close();
  }
}
