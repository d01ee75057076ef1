// The postgres sink's contract with every batch written through COPY and its staging table, never straight
// into the table (postgres-copy.test.ts lets fresh batches go straight in, so it stages only on conflicts).
import '../../src/connectors/sinks/index.ts';
import { copyThreshold } from '../../src/connectors/sinks/postgres/postgres.ts';
import { adapters } from './adapters.ts';
import { runSinkConformance } from './suite.ts';

copyThreshold.rows = 0;
copyThreshold.direct = false;
runSinkConformance(adapters.find((a) => a.kind === 'postgres')!);
