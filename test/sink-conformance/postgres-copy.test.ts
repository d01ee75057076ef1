// The postgres sink's contract once more with every batch written through COPY and its staging table:
// the suite's batches are small, so sinks.test.ts covers the INSERT … FROM unnest path only.
import '../../src/connectors/sinks/index.ts';
import { copyThreshold } from '../../src/connectors/sinks/postgres/postgres.ts';
import { adapters } from './adapters.ts';
import { runSinkConformance } from './suite.ts';

copyThreshold.rows = 0;
runSinkConformance(adapters.find((a) => a.kind === 'postgres')!);
