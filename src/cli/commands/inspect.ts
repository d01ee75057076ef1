import type { Command } from 'commander';
import { sleep } from '../../core/backoff.ts';
import type { Broker } from '../../core/broker.ts';
import { closestNames } from '../../core/closest-names.ts';
import { Yielder } from '../../core/cooperative.ts';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import type { StreamRecord } from '../../core/record.ts';
import { type CommonFlags, logger, numberFlag, openBroker } from '../context.ts';
import { stopOnSignals } from '../signals.ts';
import { table } from '../table.ts';

/** `(topics: a, b)`, or on a cluster of hundreds the ten closest names, then how many more there are. */
function knownList(what: string, wanted: string, known: string[]): string {
  const { shown, more } = closestNames(wanted, known);
  const list = shown.length === 0 ? 'none' : `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  return `(${more > 0 ? `closest ${what}` : what}: ${list})`;
}

export function missingTopicMessage(topic: string, url: string, known: string[]): string {
  return `topic "${topic}" does not exist on ${url} ${knownList('topics', topic, known)}`;
}

/**
 * Where the last `n` records of a partition start. On Kafka, offsets are not all records: each transaction's
 * commit marker takes one (runnel's processors write in transactions), so `end - n` can hold fewer than n.
 */
async function lastRecordsFrom(
  broker: Broker,
  topic: string,
  p: { partition: number; startOffset: number; endOffset: number },
  n: number,
): Promise<number> {
  let span = n;
  for (;;) {
    const at = Math.max(p.startOffset, p.endOffset - span);
    const records = await broker.read(topic, p.partition, at, span);
    if (records.length <= n) {
      if (records.length === n || at === p.startOffset || span >= 64 * n) return records[0]?.offset ?? at;
      span *= 2;
      continue;
    }
    return records[records.length - n]!.offset;
  }
}

/**
 * Prints the `n` latest records of the whole topic, oldest first, and returns where each partition goes on.
 * `-n 10` on a six-partition topic printed 60 lines, ten per partition, where `tail -n` means the last ten
 * lines. Latest by timestamp across partitions (offsets do not compare between them), among each partition's
 * last `n`: where a partition's timestamps grow with its offsets (as produced), those hold the topic's
 * latest `n`, and the topic is not read whole to find them. Ties keep partition, then offset order.
 */
async function latestRecords(
  broker: Broker,
  topic: string,
  partitions: Array<{ partition: number; startOffset: number; endOffset: number }>,
  n: number,
  print: (records: StreamRecord[]) => void,
): Promise<Array<{ partition: number; at: number }>> {
  const positions: Array<{ partition: number; at: number }> = [];
  const candidates: StreamRecord[] = [];
  for (const p of partitions) {
    let at = await lastRecordsFrom(broker, topic, p, n);
    // Read to the end as described: what lands meanwhile is printed after, as new records.
    while (at < p.endOffset) {
      const records = await broker.read(topic, p.partition, at, Math.max(n, 1));
      if (records.length === 0) break;
      candidates.push(...records.filter((r) => r.offset < p.endOffset));
      at = records[records.length - 1]!.offset + 1;
    }
    positions.push({ partition: p.partition, at: Math.min(at, p.endOffset) });
  }
  candidates.sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset);
  print(n === 0 ? [] : candidates.slice(-n));
  return positions;
}

export function registerInspectCommands(program: Command): void {
  program
    .command('topics')
    .description('list topics with partitions, records held and end offsets')
    .action(async (flags: CommonFlags) => {
      const broker = await openBroker(flags);
      try {
        // On Kafka what a partition holds is counted in offsets: a transaction's commit marker takes one.
        const held = broker.offsetsAreRecords ? 'RECORDS' : 'OFFSETS HELD';
        const rows = [['TOPIC', 'PARTITIONS', held, 'END OFFSETS']];
        for (const t of await broker.listTopics()) {
          const n = t.partitions.reduce((sum, p) => sum + (p.endOffset - p.startOffset), 0);
          rows.push([t.name, String(t.partitions.length), String(n), t.partitions.map((p) => p.endOffset).join(',')]);
        }
        process.stdout.write(`${table(rows)}\n`);
      } finally {
        await broker.close();
      }
    });

  program
    .command('groups')
    .description('consumer groups: committed offset and lag per topic partition')
    .option('--group <name>', 'only this group')
    .action(async (flags: CommonFlags & { group?: string }) => {
      const broker = await openBroker(flags);
      try {
        const groups = await broker.listGroups(flags.group);
        // An empty table and exit 0 read as "that group has nothing to do", not "you mistyped its name".
        if (flags.group !== undefined && groups.length === 0) {
          const known = [...new Set((await broker.listGroups()).map((g) => g.group))];
          throw new RunnelError(
            ErrorCodes.GROUP_NOT_FOUND,
            `no group "${flags.group}" on ${broker.url} ${knownList('groups', flags.group, known)}`,
            { value: flags.group },
          );
        }
        const rows = [['GROUP', 'TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG']];
        for (const g of groups) {
          rows.push([g.group, g.topic, String(g.partition), String(g.committed), String(g.endOffset), String(g.lag)]);
        }
        process.stdout.write(`${table(rows)}\n`);
      } finally {
        await broker.close();
      }
    });

  program
    .command('tail')
    .argument('<topic>')
    .description('print records of a topic as JSON lines (the last N, then new ones as they arrive)')
    .option('--from-beginning', 'start at the oldest record held')
    .option(
      '-n, --lines <n>',
      "start with the topic's N latest records: by timestamp across its partitions, of each one's last N",
      numberFlag('-n', (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0'),
      10,
    )
    .option('--no-follow', 'exit after printing what the topic holds')
    .action(async (topic: string, flags: CommonFlags & { fromBeginning?: boolean; lines: number; follow: boolean }) => {
      const broker = await openBroker(flags);
      const controller = new AbortController();
      const release = stopOnSignals(controller, logger(flags), { reader: true });
      try {
        const info = await broker.describeTopic(topic);
        if (!info) {
          const known = (await broker.listTopics()).map((t) => t.name);
          throw new RunnelError(ErrorCodes.TOPIC_NOT_FOUND, missingTopicMessage(topic, broker.url, known), {
            value: topic,
          });
        }
        const print = (records: StreamRecord[]) => {
          for (const r of records) process.stdout.write(`${JSON.stringify(r)}\n`);
        };
        const positions = flags.fromBeginning
          ? info.partitions.map((p) => ({ partition: p.partition, at: p.startOffset }))
          : await latestRecords(broker, topic, info.partitions, flags.lines, print);
        // Printing a long topic from the beginning reads and writes synchronously: let Ctrl-C in.
        const yielder = new Yielder();
        for (;;) {
          await yielder.turn();
          if (controller.signal.aborted) break;
          let got = 0;
          for (const pos of positions) {
            const records = await broker.read(topic, pos.partition, pos.at, 1000);
            if (records.length > 0) pos.at = records[records.length - 1]!.offset + 1;
            got += records.length;
            print(records);
          }
          if (got > 0) continue;
          if (!flags.follow || controller.signal.aborted) break;
          await sleep(100, controller.signal);
          if (controller.signal.aborted) break;
        }
      } finally {
        release();
        await broker.close();
      }
    });
}
