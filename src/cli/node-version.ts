/** The oldest Node runnel runs on: `node:sqlite` without a flag, and `fs.watch` on Linux that we rely on. */
export const MIN_NODE = [22, 13] as const;

/** The one-line error for an unsupported Node version, or undefined when this one will do. */
export function unsupportedNode(version: string): string | undefined {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  if (major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1])) return undefined;
  return `runnel: RUNNEL_DEPENDENCY_MISSING: runnel needs Node.js >= ${MIN_NODE.join('.')} (24 LTS recommended); this is ${version.startsWith('v') ? version : `v${version}`}`;
}
