// The postgres sink's contract once more with every batch written through COPY, straight into the table
// where it can be (a batch meeting stored rows is staged): the suite's batches are small, so sinks.test.ts
// covers the INSERT … FROM unnest path only, and postgres-staged.test.ts the staging table alone.
import '../../src/connectors/sinks/index.ts';
import { copyThreshold } from '../../src/connectors/sinks/postgres/postgres.ts';
import { adapters } from './adapters.ts';
import { runSinkConformance } from './suite.ts';

copyThreshold.rows = 0;
runSinkConformance(adapters.find((a) => a.kind === 'postgres')!);
