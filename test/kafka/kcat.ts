import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { KAFKA_ADDRESS } from './env.ts';

/** kcat (librdkafka) stands in for every other Kafka client: the seeds' Python producers included. */
export const hasKcat = spawnSync('kcat', ['-V']).status === 0;
export const KCAT_HOW = 'apt-get install -y kcat';

/** `kcat -P`: one message per line from stdin; `args` adds e.g. `-K :` (key:value lines) or `-H k=v`. */
export function kcatProduce(topic: string, lines: string[], args: string[] = []): void {
  const r = spawnSync('kcat', ['-b', KAFKA_ADDRESS, '-P', '-t', topic, ...args], {
    input: `${lines.join('\n')}\n`,
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, `kcat -P failed: ${r.stderr}`);
}
