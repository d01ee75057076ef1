import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';

/**
 * One SQLite file holds the whole broker: topics, the log, committed offsets and group members, so
 * several processes share it and a record and the offsets that refer to it can never disagree.
 * `batches` is the log, as Kafka's record batches: one row per produce batch and partition (at most
 * MAX_BATCH_RECORDS records), its records one JSON array in `payload`. A row per batch instead of per
 * record is what makes produce and consume fast (one statement and one JSON.parse per thousand records),
 * and retention drops whole batches by append time or size, never judging by event time (a 2025 CSV
 * replayed today must not be deleted on arrival).
 */
export const SCHEMA_VERSION = 2;

export function applySchema(db: DatabaseSync): void {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (hasMeta) {
    const row = db.prepare("SELECT v FROM meta WHERE k = 'schema_version'").get() as { v: string } | undefined;
    if (row && row.v !== String(SCHEMA_VERSION)) {
      throw new Error(
        `it holds broker schema ${row.v} and this runnel reads ${SCHEMA_VERSION}: remove the file (and its -wal, -shm) or use another --broker path`,
      );
    }
  }
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
    -- A rowid table on purpose: payloads are large, and SQLite advises WITHOUT ROWID only for small rows.
    CREATE TABLE IF NOT EXISTS batches(
      topic_id INTEGER NOT NULL,
      partition INTEGER NOT NULL,
      base_offset INTEGER NOT NULL,
      last_offset INTEGER NOT NULL,
      appended_at INTEGER NOT NULL,
      bytes INTEGER NOT NULL,
      -- [[key, value, timestamp, headers], ...] for offsets base_offset..last_offset
      payload TEXT NOT NULL,
      PRIMARY KEY(topic_id, partition, last_offset));
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
    -- Bumped by every change of a group's membership rows (a join, a leave, an expiry): a member that sees it
    -- move by more than one between two looks cannot tell who owned its partitions in between.
    CREATE TABLE IF NOT EXISTS group_epochs(
      grp TEXT PRIMARY KEY,
      epoch INTEGER NOT NULL) WITHOUT ROWID;
  `);
  db.prepare('INSERT OR IGNORE INTO meta(k, v) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
  // Names this broker file among others: topic ids built from it differ on a new file (see TopicInfo.id).
  db.prepare('INSERT OR IGNORE INTO meta(k, v) VALUES (?, ?)').run('broker_id', randomUUID());
}

export function brokerId(db: DatabaseSync): string {
  return (db.prepare("SELECT v FROM meta WHERE k = 'broker_id'").get() as { v: string }).v;
}
