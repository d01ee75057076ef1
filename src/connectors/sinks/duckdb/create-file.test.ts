// A DuckDB file appears whole or not at all: a creation that dies half-way (here: DuckDB writes part of a
// file and fails; a kill -9 is the same with the temporary file left behind) leaves nothing at the path,
// so the next open makes the file anew instead of refusing it for good.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DuckDBInstance } from '@duckdb/node-api';
import { createSink } from '../../../core/connector-registry.ts';
import { createLogger } from '../../../core/log.ts';
import { createWhole } from './create-file.ts';
import '../index.ts';

const ctx = () => ({ signal: new AbortController().signal, log: createLogger({ quiet: true }) });

async function openAndWrite(path: string): Promise<void> {
  const sink = createSink('duckdb', { path, table: 't', columns: [{ name: 'n', type: 'integer' }] });
  await sink.open(ctx());
  await sink.write(
    [{ topic: 'x', partition: 0, offset: 0, key: null, value: { n: 1 }, timestamp: 0, headers: {} }],
    [{ topic: 'x', partition: 0, offset: 1 }],
  );
  await sink.close();
}

test('duckdb: a creation that dies half-way leaves no file at the path; the next open makes it whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-duck-create-'));
  const path = join(dir, 'out.duckdb');
  const torn = async (p: string): Promise<DuckDBInstance> => {
    writeFileSync(p, Buffer.alloc(4096, 7)); // the first bytes of a file, no valid header
    throw new Error('killed while creating');
  };
  await assert.rejects(createWhole(torn, path), /killed while creating/);
  assert.equal(existsSync(path), false, 'nothing at the path a sink opens');
  assert.deepEqual(readdirSync(dir), [], 'and nothing beside it');
  await openAndWrite(path);
  await openAndWrite(path); // and it opens again, as a DuckDB file
});

test("duckdb: a dead process's half-made file beside the path is removed, a live one's is left", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-duck-left-'));
  const path = join(dir, 'out.duckdb');
  const dead = `${path}.999999999.creating`;
  const live = `${path}.${process.ppid}.creating`;
  writeFileSync(dead, 'torn');
  writeFileSync(live, 'in progress');
  await openAndWrite(path);
  assert.equal(existsSync(dead), false);
  assert.equal(existsSync(live), true);
});
