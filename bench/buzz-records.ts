/** The Kafka benchmarks' records: buzz messages (~188 bytes of JSON), keyed by author. */
import type { BuzzMessage } from '../src/connectors/sources/generator/buzz-message.ts';

const authors = ['Alice', 'Bob', 'Charlie', 'Eve', 'Mallory', 'Trent', 'Peggy', 'Victor'];

export interface BuzzRecord {
  key: string;
  value: BuzzMessage;
}

export function buzzRecords(n: number): BuzzRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const author = authors[i % authors.length]!;
    return {
      key: author,
      value: {
        message: `I just loved Python! It was amazing. #${i}`,
        author,
        timestamp: '2025-01-01 12:00:00',
        category: 'tech',
        sentiment: 0.87,
        keyword_mentioned: 'python',
        message_length: 42,
      },
    };
  });
}
