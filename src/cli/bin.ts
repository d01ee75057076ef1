#!/usr/bin/env node
// The `runnel` executable. The version check runs before anything imports node:sqlite, which older Node
// lacks: a user on Node 20 gets one line saying what to install, not ERR_UNKNOWN_BUILTIN_MODULE.
import { unsupportedNode } from './node-version.ts';

const problem = unsupportedNode(process.version);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
await import('./main.ts');
