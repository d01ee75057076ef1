/**
 * Topics runnel keeps for itself, not the user's data: its bookkeeping (`_runnel.status`, `_runnel.control`),
 * the engine's repartition topics (`<app>-<step>-repartition-<n>`) and, on Kafka, its state changelogs
 * (`<app>-<store>-changelog`). The engine names them with these suffixes; the dashboard and the CLI list
 * them only on request.
 */
export const REPARTITION_SUFFIX = '-repartition';
export const CHANGELOG_SUFFIX = '-changelog';

export function isInternalTopic(name: string): boolean {
  return (
    name.startsWith('_') || new RegExp(`${REPARTITION_SUFFIX}(-\\d+)?$`).test(name) || name.endsWith(CHANGELOG_SUFFIX)
  );
}
