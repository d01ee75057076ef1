// `npm run bench`: every benchmark, each printed beside a baseline measured in the same run.
import { benchKafkaDecode } from './kafka-decode.ts';
import { benchLocalBroker } from './local-broker.ts';
import { benchPipeline } from './pipeline.ts';

const print = (rows: Array<[string, number, string]>) => {
  for (const [name, rate, note] of rows) console.log(`${name.padEnd(40)} ${String(rate).padStart(9)} rec/s   ${note}`);
};

console.log(`runnel benchmarks — node ${process.version}, ${new Date().toISOString()}`);
print(await benchLocalBroker());
print(benchPipeline());
print(benchKafkaDecode());
try {
  const kafka = (await import('./kafka.ts')) as { benchKafka?: () => Promise<Array<[string, number, string]>> };
  if (kafka.benchKafka) print(await kafka.benchKafka());
} catch (err) {
  console.log(`kafka: skipped (${(err as Error).message.split('\n')[0]}); start one with: runnel kafka start`);
}
