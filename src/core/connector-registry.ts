import type { z } from 'zod';
import { slipOf } from './closest-names.ts';
import type { Sink, Source } from './connector.ts';
import { ErrorCodes, RunnelError } from './errors.ts';
import { keysAt } from './schema-keys.ts';

export interface ConnectorSpec<Kind extends 'source' | 'sink', Config> {
  kind: Kind;
  name: string;
  description: string;
  /** Validates and fills defaults; unknown keys are errors (use `z.strictObject`). */
  schema: z.ZodType<Config>;
  create(config: Config): Kind extends 'source' ? Source : Sink;
}

type AnySpec = ConnectorSpec<'source' | 'sink', unknown>;
const specs = new Map<string, AnySpec>();
const keyOf = (kind: string, name: string) => `${kind}:${name}`;

/** A connector is one module plus one `register…` line; it is then found by its name. */
export function registerConnector<K extends 'source' | 'sink', C>(spec: ConnectorSpec<K, C>): void {
  specs.set(keyOf(spec.kind, spec.name), spec as unknown as AnySpec);
}

export function listConnectors(kind?: 'source' | 'sink'): Array<{ kind: string; name: string; description: string }> {
  return [...specs.values()]
    .filter((s) => !kind || s.kind === kind)
    .map(({ kind: k, name, description }) => ({ kind: k, name, description }));
}

/** Turns a zod failure into one line naming the connector, the field path and the offending value. */
export function validateConfig<C>(schema: z.ZodType<C>, raw: unknown, where: string): C {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.join('.');
  let value: unknown = raw;
  for (const p of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[p as PropertyKey];
  // A schema marks a secret's issue (an Authorization header) with `params.secret`: its value is never shown;
  // a database URL's password never reaches a message either, even from a URL that did not parse.
  const secret = issue.code === 'custom' && (issue.params as { secret?: unknown } | undefined)?.secret === true;
  const shown = value === undefined || secret ? '' : ` (got ${hidePasswords(JSON.stringify(value))})`;
  throw new RunnelError(
    ErrorCodes.CONFIG_INVALID,
    `${where}: ${path || 'config'}: ${issue.message}${meant(schema, issue)}${shown}`,
    {
      value: secret ? undefined : typeof value === 'string' ? hidePasswords(value) : value,
    },
  );
}

/** " (did you mean "key"?)" for an unknown option one slip from one the schema has there, else "". */
function meant(schema: z.ZodType, issue: z.core.$ZodIssue): string {
  if (issue.code !== 'unrecognized_keys' || issue.keys.length !== 1) return '';
  const near = slipOf(issue.keys[0]!, keysAt(schema, issue.path));
  return near === undefined ? '' : ` (did you mean "${near}"?)`;
}

/** `scheme://user:secret@host` → `scheme://user:***@host`. */
export const hidePasswords = (text: string): string => text.replace(/(\/\/[^/:@\s"]*):[^/\s"]*@/g, '$1:***@');

function lookup(kind: 'source' | 'sink', name: string): AnySpec {
  const spec = specs.get(keyOf(kind, name));
  if (!spec) {
    const known = listConnectors(kind)
      .map((c) => c.name)
      .join(', ');
    throw new RunnelError(ErrorCodes.UNKNOWN_CONNECTOR, `unknown ${kind} "${name}" (known: ${known})`, { value: name });
  }
  return spec;
}

export function createSource(name: string, config: unknown): Source {
  const spec = lookup('source', name);
  return spec.create(validateConfig(spec.schema, config, `source ${name}`)) as Source;
}

export function createSink(name: string, config: unknown): Sink {
  const spec = lookup('sink', name);
  return spec.create(validateConfig(spec.schema, config, `sink ${name}`)) as Sink;
}
