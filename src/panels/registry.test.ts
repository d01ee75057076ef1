import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { apps } from '../apps/index.ts';
import { isRunnelError } from '../core/errors.ts';
import { checkPanels, createAggregator, panelType, panelTypeNames } from '../server/panels/index.ts';
import { FIELD_NAMES } from './types.ts';

const here = new URL('./', import.meta.url);
const folders = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

test('every panel type is one folder of options, aggregator and renderer, registered on both sides', () => {
  assert.deepEqual([...panelTypeNames()].sort(), folders, 'the server registry lists exactly the folders');
  // The page's registry is read as text: importing it here would pull uPlot into Node.
  const webRegistry = readFileSync(new URL('../web/charts/index.ts', import.meta.url), 'utf8');
  for (const name of folders) {
    for (const part of ['options.ts', 'server.ts', 'web.ts'])
      assert.ok(existsSync(new URL(`${name}/${part}`, here)), `${name}/${part}`);
    assert.ok(webRegistry.includes(`'../../panels/${name}/web.ts'`), `${name} registered in the page`);
    // zod stays out of the page: the renderer takes only types from its options and aggregator.
    const web = readFileSync(new URL(`${name}/web.ts`, here), 'utf8');
    assert.doesNotMatch(web, /^import (?!type )[^;]*from '\.\/(options|server)\.ts'/m, `${name}/web.ts`);
  }
});

test("every shipped app's panels pass their type's fields and options; a misspelt option is one line naming the panel", () => {
  for (const app of apps) {
    assert.doesNotThrow(() => checkPanels(app.name, app.panels), app.name);
    for (const spec of app.panels) assert.doesNotThrow(() => createAggregator(spec), app.name);
  }
  const temperature = apps.flatMap((a) => a.panels).find((p) => p.type === 'line' && p.options?.marks)!;
  assert.throws(
    () => createAggregator({ ...temperature, options: { ...temperature.options, unti: '°F' } }),
    (e) =>
      isRunnelError(e) &&
      e.message === 'panel "temperature" (line): options: Unrecognized key: "unti" (did you mean "unit"?)',
  );
});

test('every panel type says which fields it reads, each one a field name', () => {
  for (const name of panelTypeNames()) {
    const { fields } = panelType(name)!;
    const accepted = Object.keys(fields.accepts);
    for (const n of accepted) assert.ok((FIELD_NAMES as readonly string[]).includes(n), `${name}: ${n}`);
    for (const n of [...(fields.requires ?? []), ...(fields.oneOf ?? [])])
      assert.ok(accepted.includes(n), `${name} requires ${n}, which it does not accept`);
  }
});
