import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

/** A short stable id for where a component keeps its output or state (a file path, a cluster URL). */
export function placeId(place: string): string {
  const key = /^[a-z][a-z0-9+.-]*:\/\//i.test(place) ? place : resolve(place);
  return shortId(key);
}

/** Eight hex characters naming any text (a place, a topic id) inside a group name. */
export function shortId(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}
