import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/connectors/sinks/index.ts';
import { listConnectors } from '../../src/core/connector-registry.ts';
import { adapters } from './adapters.ts';
import { runSinkConformance } from './suite.ts';

// The kinds come from the registry: a sink is covered by being registered, and fails here until it has
// an adapter saying how to read its output back.
const registered = listConnectors('sink').map((c) => c.name);

test('every registered sink kind has a conformance adapter, and every adapter a registered sink', () => {
  assert.deepEqual(adapters.map((a) => a.kind).sort(), [...registered].sort());
});

for (const kind of registered) {
  const adapter = adapters.find((a) => a.kind === kind);
  if (adapter) runSinkConformance(adapter);
}
