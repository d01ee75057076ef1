import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { ErrorCodes, isPermanent, RunnelError } from './errors.ts';
import { checkPlaces, makeFolder, placeProblem } from './places.ts';

test('placeProblem: a writable place is none; a file in the path, a dangling link, /proc, a folder for a file are', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-places-'));
  writeFileSync(join(dir, 'file'), '');
  symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
  symlinkSync('/proc', join(dir, 'to-proc'));
  mkdirSync(join(dir, 'folder'));
  assert.equal(placeProblem(join(dir, 'new', 'deeper', 'out.jsonl'), 'file'), undefined);
  assert.equal(placeProblem(join(dir, 'folder'), 'folder'), undefined);
  assert.equal(
    placeProblem(join(dir, 'file', 'x', 'out.jsonl'), 'file'),
    `${join(dir, 'file')} is a file, not a folder`,
  );
  assert.match(
    placeProblem(join(dir, 'dangling', 'out.jsonl'), 'file')!,
    /dangling is a symbolic link to .*nowhere, which does not exist$/,
  );
  assert.match(placeProblem('/proc/x/out.jsonl', 'file')!, /under \/proc or \/sys/);
  assert.match(placeProblem(join(dir, 'to-proc', 'x'), 'folder')!, /leads to \/proc \(kernel files/);
  assert.equal(placeProblem(join(dir, 'folder'), 'file'), `${join(dir, 'folder')} is a folder, not a file`);
  assert.equal(placeProblem(join(dir, 'x'.repeat(300)), 'file'), 'the path is too long');
});

test('checkPlaces and makeFolder refuse with one permanent line; makeFolder does not loop on /proc', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-places-'));
  writeFileSync(join(dir, 'file'), '');
  assert.throws(
    () =>
      checkPlaces([
        {
          path: join(dir, 'file', 'a.db'),
          kind: 'file',
          what: 'state',
          fix: 'move it',
        },
      ]),
    (e: RunnelError) =>
      e.code === ErrorCodes.OUTPUT_UNWRITABLE &&
      e.message ===
        `cannot write state ${join(dir, 'file', 'a.db')}: ${join(dir, 'file')} is a file, not a folder; move it` &&
      isPermanent(e),
  );
  assert.throws(
    () => makeFolder('/proc/runnel-x/data'),
    (e: RunnelError) => e.code === ErrorCodes.OUTPUT_UNWRITABLE,
  );
  makeFolder(join(dir, 'a', 'b'));
  assert.equal(placeProblem(join(dir, 'a', 'b'), 'folder'), undefined);
});

test('isPermanent: what no retry fixes, through causes; locks, full disks and networks are transient', () => {
  const os = (code: string) => Object.assign(new Error(code), { code });
  for (const c of ['ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ENAMETOOLONG', 'ELOOP'])
    assert.ok(isPermanent(os(c)), c);
  for (const c of ['ENOSPC', 'ECONNREFUSED', 'ETIMEDOUT', 'ENOENT']) assert.ok(!isPermanent(os(c)), c);
  const wrapped = new RunnelError(ErrorCodes.SINK_WRITE_FAILED, 'x', { retriable: true, cause: os('ENOTDIR') });
  assert.ok(isPermanent(wrapped));
  const sqliteError = (sql: string) => {
    try {
      new DatabaseSync(':memory:').exec(sql);
    } catch (err) {
      return err;
    }
    throw new Error('no error');
  };
  assert.ok(isPermanent(sqliteError('CREATE TABLE t(a); CREATE TABLE t(a)')), 'a table that cannot be created');
  const busy = Object.assign(new Error('database is locked'), { code: 'ERR_SQLITE_ERROR', errcode: 5 });
  assert.ok(!isPermanent(busy), 'SQLITE_BUSY');
});
