#!/usr/bin/env node
// The `runnel` executable. The version check runs before anything imports node:sqlite, which older Node
// lacks: a user on Node 20 gets one line saying what to install, not ERR_UNKNOWN_BUILTIN_MODULE.
import module from 'node:module';
import { unsupportedNode } from './node-version.ts';

const problem = unsupportedNode(process.version);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
// Compiled code of runnel's modules is kept on disk (in the OS's temp folder, or NODE_COMPILE_CACHE), so a
// command after the first starts without compiling them again: a fifth of the time `runnel --version`
// took. A folder it cannot write only means no cache.
module.enableCompileCache?.();
await import('./main.ts');
