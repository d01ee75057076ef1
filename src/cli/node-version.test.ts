import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { unsupportedNode } from './node-version.ts';

test('Node >= 22.13 is accepted; older gets one line naming the version and what to install', () => {
  for (const ok of ['v22.13.0', 'v22.22.1', 'v24.21.0', '26.0.0']) assert.equal(unsupportedNode(ok), undefined, ok);
  assert.equal(
    unsupportedNode('v20.19.2'),
    'runnel: RUNNEL_DEPENDENCY_MISSING: runnel needs Node.js >= 22.13 (24 LTS recommended); this is v20.19.2',
  );
  assert.match(unsupportedNode('v22.12.0') ?? '', /this is v22\.12\.0$/);
});

// The built executable under an old Node, when the machine has one (Debian's /usr/bin/node is 20 here).
const OLD_NODE = '/usr/bin/node';
const BIN = new URL('../../dist/cli/bin.js', import.meta.url).pathname;
const old = existsSync(OLD_NODE) ? spawnSync(OLD_NODE, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';
test('the built runnel on an old Node prints that line and exits 1', {
  skip:
    !old || !unsupportedNode(old)
      ? 'no Node older than 22.13 at /usr/bin/node'
      : !existsSync(BIN)
        ? 'dist not built (npm run build)'
        : false,
}, () => {
  const r = spawnSync(OLD_NODE, [BIN, 'topics'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim(), unsupportedNode(old));
});
