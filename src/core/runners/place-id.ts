import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

/** A short stable id for where a component keeps its output or state (a file path, a cluster URL). */
export function placeId(place: string): string {
  // A URL (kafka://…, local:/…) is its own name; a path is made absolute. Two letters at least: C:\ is a path.
  const key = /^[a-z][a-z0-9+.-]+:/i.test(place) ? place : resolve(place);
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}
