// `npm run bench`: every benchmark, each printed beside a baseline measured in the same run.
import { kafkaAnswers } from '../src/brokers/kafka/server.ts';
import { benchKafkaDecode } from './kafka-decode.ts';
import { benchLocalBroker } from './local-broker.ts';
import { benchPipeline } from './pipeline.ts';
import { benchSentiment } from './sentiment.ts';
import { benchState } from './state.ts';
import { benchStopcovid } from './stopcovid.ts';
import { benchTableSinks } from './table-sinks.ts';
import { benchUsersModel } from './users-model.ts';
import { benchWindowed } from './windowed.ts';

const print = (rows: Array<[string, number, string]>) => {
  for (const [name, rate, note] of rows) {
    // Rows whose note starts with their own unit (ms, ×, keys/s) are not rates of records.
    const unit = /^(ms|×|keys\/s|person-ticks\/s|bytes)/.test(note) ? '' : ' rec/s';
    console.log(`${name.padEnd(40)} ${String(rate).padStart(9)}${unit}   ${note}`);
  }
};

console.log(`runnel benchmarks — node ${process.version}, ${new Date().toISOString()}`);
print(await benchLocalBroker());
print(benchPipeline());
print(benchKafkaDecode());
print(benchSentiment());
print(benchUsersModel());
// Postgres and Cassandra sinks beside a hand-written client loop (each skipped when its server is not there).
print(await benchTableSinks(Number(process.env.BENCH_SINK_ROWS ?? 50_000)));
// stopcovid's detection vs the seed's SQLite method, and its peak RSS per person at 1M (issue 13).
print(benchStopcovid({ pipeline: [10_000] }, () => {}));
// The engine (issue 10): smaller than their own defaults (see each file's --help-less header) so the whole
// run stays in minutes; BENCH_ENGINE_RECORDS scales them.
const ENGINE_N = Number(process.env.BENCH_ENGINE_RECORDS ?? 1_000_000);
print(await benchWindowed({ n: ENGINE_N, partitions: 2, authors: 50, rounds: 3 }, () => {}));
print(await benchState({ records: ENGINE_N * 2, keys: 100_000, partitions: 2 }, () => {}));
// Against Kafka Streams, only when a Kafka answers (it also builds the Java app with Maven once).
if (await kafkaAnswers(process.env.RUNNEL_TEST_KAFKA ?? '127.0.0.1:9092')) {
  const ks = await import('./kafka-streams.ts');
  print(ks.summarize(await ks.benchKafkaStreams({ n: ENGINE_N, partitions: 2, authors: 50, rounds: 3 })));
} else console.log('runnel vs Kafka Streams: skipped, no Kafka (npm run kafka:start)');
try {
  const kafka = (await import('./kafka.ts')) as { benchKafka?: () => Promise<Array<[string, number, string]>> };
  if (kafka.benchKafka) print(await kafka.benchKafka());
} catch (err) {
  console.log(`kafka: skipped (${(err as Error).message.split('\n')[0]}); start one with: runnel kafka start`);
}
