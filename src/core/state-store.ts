import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { TopicPartitionOffset } from './record.ts';

export interface StoredState {
  state: unknown;
  positions: TopicPartitionOffset[];
}

/**
 * Keeps each processor's state snapshot together with the input positions it reflects, in one SQLite
 * transaction, so a restart resumes with state and position in agreement (whatever the broker).
 */
export class StateStore {
  readonly #db: DatabaseSync;
  readonly path: string;

  constructor(path: string) {
    this.path = path;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path, { timeout: 15000 });
    this.#db.exec('PRAGMA journal_mode=WAL');
    this.#db.exec(
      'CREATE TABLE IF NOT EXISTS processor_state(name TEXT PRIMARY KEY, state TEXT NOT NULL, positions TEXT NOT NULL, updated_at INTEGER NOT NULL)',
    );
  }

  load(name: string): StoredState | undefined {
    const row = this.#db.prepare('SELECT state, positions FROM processor_state WHERE name = ?').get(name) as
      | { state: string; positions: string }
      | undefined;
    if (!row) return undefined;
    return { state: JSON.parse(row.state), positions: JSON.parse(row.positions) };
  }

  save(name: string, state: unknown, positions: TopicPartitionOffset[]): void {
    this.#db
      .prepare(
        `INSERT INTO processor_state(name, state, positions, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET state = excluded.state, positions = excluded.positions, updated_at = excluded.updated_at`,
      )
      .run(name, JSON.stringify(state), JSON.stringify(positions), Date.now());
  }

  close(): void {
    this.#db.close();
  }
}
