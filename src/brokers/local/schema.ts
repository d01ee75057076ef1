import type { DatabaseSync } from 'node:sqlite';

/**
 * One SQLite file holds the whole broker: topics, the log, committed offsets and group members, so
 * several processes share it and a record and the offsets that refer to it can never disagree.
 * `batches` plays the role of Kafka's segments: retention drops whole produce batches by append time or
 * size, never judging by event time (a 2025 CSV replayed today must not be deleted on arrival).
 */
export const SCHEMA_VERSION = 1;

export function applySchema(db: DatabaseSync): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS topics(
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      partitions INTEGER NOT NULL,
      retention_ms INTEGER,
      retention_bytes INTEGER,
      created_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS partitions(
      topic_id INTEGER NOT NULL,
      partition INTEGER NOT NULL,
      next_offset INTEGER NOT NULL DEFAULT 0,
      start_offset INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY(topic_id, partition)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS records(
      topic_id INTEGER NOT NULL,
      partition INTEGER NOT NULL,
      offset INTEGER NOT NULL,
      key TEXT,
      value TEXT NOT NULL,
      ts INTEGER NOT NULL,
      headers TEXT,
      PRIMARY KEY(topic_id, partition, offset)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS batches(
      topic_id INTEGER NOT NULL,
      partition INTEGER NOT NULL,
      last_offset INTEGER NOT NULL,
      appended_at INTEGER NOT NULL,
      bytes INTEGER NOT NULL,
      PRIMARY KEY(topic_id, partition, last_offset)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS group_offsets(
      grp TEXT NOT NULL,
      topic TEXT NOT NULL,
      partition INTEGER NOT NULL,
      offset INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY(grp, topic, partition)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS group_members(
      grp TEXT NOT NULL,
      member TEXT NOT NULL,
      topics TEXT NOT NULL,
      client_id TEXT,
      heartbeat INTEGER NOT NULL,
      PRIMARY KEY(grp, member)) WITHOUT ROWID;
  `);
  db.prepare('INSERT OR IGNORE INTO meta(k, v) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
}
