import type { AppDefinition } from '../core/app.ts';
import { ErrorCodes, RunnelError } from '../core/errors.ts';
import { buzzApp } from './buzz/index.ts';
import { smokerApp } from './smoker/index.ts';

/** Every app, found by its name. A new app is one folder plus one line here. */
export const apps: AppDefinition[] = [buzzApp, smokerApp];

export function findApp(name: string): AppDefinition {
  const app = apps.find((a) => a.name === name);
  if (!app) {
    throw new RunnelError(
      ErrorCodes.UNKNOWN_APP,
      `unknown app "${name}" (known: ${apps.map((a) => a.name).join(', ')})`,
      {
        value: name,
      },
    );
  }
  return app;
}
